"""GovSimModel: citizens and agencies meeting on government microblogs.

One step is one day, in the order the ODD document states:
  audits (Mesa events, between days) -> agencies adopt and plan their staff
  time -> leaders relay or criticise -> citizens are exposed, post, have
  needs, choose channels, are served or not -> beliefs update -> programmes
  act (training, inclusion) -> outcomes are recorded.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.agency import Agency, stochastic_round
from sim.authority import Authority
from sim.citizens import Citizens
from sim.config import SECTORS, SimConfig, validate
from sim.geography import Geography
from sim.leader import OpinionLeader
from sim.levers import set_lever
from sim.needs import NeedLedger, Queues
from sim.outcomes import Recorder
from sim.policies import Programmes
from sim.service import AgencyDay, DayFlows, route, serve


def _gather_sum(table: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Sum over follow slots of table[follow]: one float32 buffer, no temporaries per slot."""
    out = np.take(table, rows[0])
    buf = np.empty_like(out)
    for row in rows[1:]:
        out += np.take(table, row, out=buf)
    return out


class GovSimModel(mesa.Model):
    def __init__(self, cfg: SimConfig) -> None:
        validate(cfg)
        super().__init__(rng=np.random.default_rng(cfg.seed))
        self.cfg = cfg
        self.day = 0
        self.hub_share = 0.0
        self.geo = Geography(cfg.population.n_citizens, cfg.population.n_districts, len(SECTORS))
        self.citizens = Citizens(cfg, self.geo, self.rng)
        a = cfg.agency
        self.mean_motivation_prior = a.motivation_alpha / (a.motivation_alpha + a.motivation_beta)
        self.agency_list: list[Agency] = self._create_agencies()
        self.leader_list: list[OpinionLeader] = self._create_leaders()
        self.authority = Authority(self)
        self.authority.issue_mandate(self.agency_list)
        self.programmes = Programmes(self)
        self.ledger = NeedLedger(Queues(len(self.agency_list)))
        self.initial_account_share = self.peer_share = self.account_share
        self.today: AgencyDay = self._agency_day()
        self.flows = DayFlows(len(self.agency_list))
        self.recorder = Recorder(self)
        self.lever_changes: list[tuple[int, str, object]] = []

    def set_lever(self, key: str, value: object) -> None:
        """Change a policy lever between days (see sim.levers); acts from the next day on."""
        set_lever(self, key, value)

    def lever_changed(self, key: str, old: SimConfig, new: SimConfig) -> None:
        """Re-apply the levers the model turned into state when it was built."""
        if key == "policy.integration.enabled":
            self.programmes.set_hub(new.policy.integration.enabled)
        elif key == "agency.staff_capacity":
            scale = new.agency.staff_capacity / old.agency.staff_capacity
            for agency in self.agency_list:
                agency.online_hours *= scale
                agency.office_capacity *= scale

    # --- set-up ---------------------------------------------------------
    def _expected_requests(self) -> np.ndarray:
        """Expected needs per day each agency is responsible for (sizes its staff)."""
        c = self.cfg.citizen
        cit = self.citizens
        weight = np.where(cit.high_need, c.need_ratio_excluded, 1.0)
        prior_efficacy = c.efficacy_alpha / (c.efficacy_alpha + c.efficacy_beta)
        per_district = np.bincount(cit.district, weights=weight, minlength=self.geo.n_districts)
        per_district *= c.need_rate * (1 + c.latent_demand * prior_efficacy)
        level, sector, district = self.geo.agency_table()
        served = np.where(district >= 0, per_district[np.maximum(district, 0)], per_district.sum())
        level_share = np.asarray(self.cfg.agency.level_need_shares) / sum(self.cfg.agency.level_need_shares)
        sector_share = np.asarray(self.cfg.agency.sector_need_shares) / sum(self.cfg.agency.sector_need_shares)
        return served * level_share[level] * sector_share[sector]

    def _create_agencies(self) -> list[Agency]:
        a = self.cfg.agency
        level, sector, district = self.geo.agency_table()
        n = len(level)
        motivation = self.rng.beta(a.motivation_alpha, a.motivation_beta, n)
        skill = self.rng.beta(a.skill_alpha, a.skill_beta, n)
        demand = self._expected_requests()
        online_hours = a.staff_capacity * (a.posting_hours + a.online_staff_ratio * demand * a.cost_reply)
        office = a.staff_capacity * a.offline_staff_ratio * demand
        # early adopters are the enthusiastic: drawn in proportion to motivation
        n_early = int(round(a.initial_account_share * n))
        early = np.zeros(n, dtype=bool)
        early[self.rng.choice(n, size=n_early, replace=False, p=motivation / motivation.sum())] = True
        agents = Agency.create_agents(
            self, n, index=np.arange(n), level=level, sector=sector, district=district,
            motivation=motivation, skill=skill, online_hours=online_hours,
            office_capacity=office, has_account=early,
        )  # fmt: skip
        return list(agents)

    def _create_leaders(self) -> list[OpinionLeader]:
        lc = self.cfg.leader
        n = self.cfg.population.n_leaders
        n_ag = len(self.agency_list)
        popularity = self.rng.pareto(lc.popularity_alpha, n) + 1.0
        watched = [self.rng.choice(n_ag, size=min(lc.agencies_watched, n_ag), replace=False) for _ in range(n)]
        leaders = list(OpinionLeader.create_agents(self, n, index=np.arange(n), popularity=popularity, watched=watched))
        cit = self.citizens
        cit.follow_leaders(self.cfg, popularity, self.rng)
        online_follows = np.where(cit.connected[None, :], cit.follows_leader, n)
        followers = np.bincount(online_follows.ravel(), minlength=n + 1)
        for leader in leaders:
            leader.followers = int(followers[leader.index])
        return leaders

    # --- state read by agents --------------------------------------------
    @property
    def account_share(self) -> float:
        return sum(a.has_account for a in self.agency_list) / len(self.agency_list)

    @property
    def hub_active(self) -> bool:
        return self.hub_share > 0

    def _agency_day(self) -> AgencyDay:
        ag = self.agency_list
        n = len(ag)

        def col(attr: str, dtype: type) -> np.ndarray:
            return np.fromiter((getattr(a, attr) for a in ag), dtype=dtype, count=n)

        hub_capacity = 0
        if self.hub_active:
            # pooled staff bring their agencies' motivation with them: no free lunch
            hours = col("online_hours", float) * col("motivation", float)
            pooled = self.hub_share * hours.sum() / self.cfg.agency.cost_reply
            hub_capacity = stochastic_round(pooled, self.rng.random())
        return AgencyDay(
            has_account=col("has_account", bool),
            clarity=col("clarity", float),
            substantive=col("substantive_today", np.int64),
            filler=col("filler_today", np.int64),
            replies=col("replies_today", np.int64),
            boilerplate=col("boilerplate_today", np.int64),
            office=col("office_today", np.int64),
            responsiveness=col("responsiveness", float),
            hub_active=self.hub_active,
            hub_capacity=hub_capacity,
        )

    # --- the day --------------------------------------------------------
    def step(self) -> None:
        day = round(self.time)
        if day > self.cfg.days:
            raise RuntimeError(f"the run is over: days={self.cfg.days}")
        self.day = day
        cfg = self.cfg
        # imitation reads yesterday's share: adoption is a synchronous update
        self.peer_share = self.account_share
        self.agents_by_type[Agency].do("adopt", day)
        inbox = self.ledger.queue_sizes()
        for agency in self.agency_list:
            agency.plan(day, int(inbox[agency.index]))
        self.today = self._agency_day()
        self.agents_by_type[OpinionLeader].do("step")
        heard, criticised = self._exposure()
        cit = self.citizens
        cit.participate(cfg, day, heard, self.rng)
        cit.hear(cfg, heard, criticised)
        self._needs_arise(day)
        flows = self.flows = DayFlows(len(self.agency_list))
        route(cfg, self.ledger, cit, self.today, self.programmes.assisted_coverage(day), day, self.rng, flows)
        closed = serve(cfg, self.ledger, self.today, day, self.rng, flows)
        cit.learn_from_attempts(cfg, closed.attempt_citizen, closed.attempt_success)
        cit.experience(cfg, closed.citizen, closed.quality)
        served = closed.citizen[closed.met]
        np.add.at(cit.needs_met, served, np.ones(len(served), dtype=cit.needs_met.dtype))  # array: numpy's fast path
        cit.last_served[served] = day
        self._settle(day, flows)
        self.programmes.act(day)
        self.ledger.check_conservation()
        self.recorder.record(day)
        self.running = day < self.cfg.days

    def _exposure(self) -> tuple[np.ndarray, np.ndarray | None]:
        """Valuable content heard directly and via leaders, and criticism heard (C5, C8).

        Both saturate: 1 - exp(-items), so the tenth post adds less than the first.
        """
        cit = self.citizens
        value = (self.today.substantive * self.today.clarity).astype(np.float32)  # filler carries nothing
        weight = self.cfg.leader.relay_weight
        relays = np.array([lead.relays_today for lead in self.leader_list] + [0], dtype=np.float32) * weight
        crit = np.array([lead.criticisms_today for lead in self.leader_list] + [0], dtype=np.float32)
        heard = _gather_sum(value, cit.follows_agency) + _gather_sum(relays, cit.follows_leader)
        np.expm1(np.negative(heard, out=heard), out=heard)
        np.negative(heard, out=heard)
        if not crit.any():
            return heard, None
        criticised = _gather_sum(crit, cit.follows_leader)
        np.expm1(np.negative(criticised, out=criticised), out=criticised)
        return heard, np.negative(criticised, out=criticised)

    def _needs_arise(self, day: int) -> None:
        """Needs arrive by thinning: O(needs), not O(citizens) (C6, C10)."""
        c = self.cfg.citizen
        cit = self.citizens
        rng = self.rng
        top_weight = max(1.0, c.need_ratio_excluded)
        p_max = c.need_rate * top_weight * (1 + c.latent_demand)
        cand = rng.integers(0, cit.n, size=rng.binomial(cit.n, p_max))
        weight = np.where(cit.high_need[cand], c.need_ratio_excluded, 1.0)
        # latent demand: citizens who believe asking helps voice more needs (C10)
        p = c.need_rate * weight * (1 + c.latent_demand * cit.efficacy[cand])
        who = cand[rng.random(len(cand)) * p_max < p]
        a = self.cfg.agency
        sector = rng.choice(len(SECTORS), size=len(who), p=np.divide(a.sector_need_shares, sum(a.sector_need_shares)))
        level = rng.choice(3, size=len(who), p=np.divide(a.level_need_shares, sum(a.level_need_shares)))
        agency = self.geo.agency_index(level, sector, cit.district[who])
        np.add.at(cit.needs_arisen, who, np.ones(len(who), dtype=cit.needs_arisen.dtype))
        self.ledger.add(who, (~cit.connected[who]).astype(np.int8), agency, day)

    def _settle(self, day: int, flows: DayFlows) -> None:
        alpha = 1.0 / self.cfg.metrics.window_days
        for agency in self.agency_list:
            i = agency.index
            agency.settle(day, int(flows.replied[i]), int(flows.resolved[i]), int(flows.withdrawn[i]), alpha)
        t = self.today
        self.recorder.push(
            day,
            flows,
            {
                "posts_substantive": int(t.substantive.sum()),
                "posts_filler": int(t.filler.sum()),
                "replies": int(flows.replied.sum()) + flows.hub_replied,
                "resolutions": int(flows.resolved.sum()),
            },
        )

    # --- running --------------------------------------------------------
    def run(self) -> None:
        """Run the configured number of days."""
        self.run_for(self.cfg.days)
