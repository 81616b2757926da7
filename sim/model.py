"""GovSimModel: citizens and agencies meeting on government microblogs.

One step is one day, in the order the ODD document states:
  audits (Mesa events, between days) -> agencies adopt and plan their staff
  time -> leaders relay or criticise -> citizens are exposed, post, have
  needs, choose channels, are served or not -> beliefs update -> programmes
  act (training, inclusion) -> outcomes are recorded.
"""

from __future__ import annotations

import functools

import mesa
import numpy as np

from sim import kernels
from sim.agency import Agencies, Agency
from sim.authority import Authority
from sim.citizens import Citizens, Feed
from sim.config import AGENCIES_WATCHED, POPULARITY_ALPHA, SECTORS, SimConfig, n_districts, n_leaders, validate
from sim.geography import Geography
from sim.leader import Leaders, OpinionLeader
from sim.levers import set_lever
from sim.needs import NeedLedger, Queues
from sim.outcomes import Recorder
from sim.policies import Programmes
from sim.rounding import stochastic_round
from sim.service import AgencyDay, DayFlows, route, serve


@functools.lru_cache(maxsize=16)
def _cdf(weights: tuple[float, ...]) -> np.ndarray:
    """The cumulative shares numpy's Generator.choice searches, for `p=weights / sum(weights)`: a category
    drawn as `cdf.searchsorted(rng.random(), side="right")` is the one choice draws, without its checks."""
    cdf = np.cumsum(np.divide(weights, sum(weights)))
    cdf /= cdf[-1]
    cdf.flags.writeable = False
    return cdf


class GovSimModel(mesa.Model):
    """A city's agencies, opinion leaders and citizens under one policy regime.

    Agencies and leaders are Mesa agents whose state lives in column tables
    (`self.agencies`, `self.leaders`); citizens are a column-wise crowd
    (`self.citizens`); open needs are a columnar ledger (`self.ledger`). All
    randomness comes from `self.rng`, seeded from `cfg.seed`.
    """

    def __init__(self, cfg: SimConfig, record_every: int = 1) -> None:
        validate(cfg)
        super().__init__(rng=np.random.default_rng(cfg.seed))
        self.cfg = cfg
        self.day = 0
        self.hub_open = False  # the one-stop hub routes requests once open (C7)
        self.hub_share = 0.0  # share of participants' online hours it runs on
        pop = cfg.population
        self.geo = Geography(pop.n_citizens, n_districts(pop), len(SECTORS))
        self.responsible = self.geo.responsible()  # the agency of each (level, sector, district)
        self.leaders = self._create_leaders()
        self.citizens = Citizens(cfg, self.geo, self.leaders.popularity, self.rng)
        self.leaders.followers = self.citizens.leader_followers(self.leaders.n)
        self.agencies = self._create_agencies()
        self.agency_list: list[Agency] = list(
            Agency.create_agents(self, self.agencies.n, index=np.arange(self.agencies.n))
        )
        self.leader_list: list[OpinionLeader] = list(
            OpinionLeader.create_agents(self, self.leaders.n, index=np.arange(self.leaders.n))
        )
        self.authority = Authority(self)
        self.authority.issue_mandate()
        self.programmes = Programmes(self)
        self.ledger = NeedLedger(Queues(self.agencies.n))
        self.initial_account_share = self.account_share
        self.today: AgencyDay = self._agency_day(self.agencies.clarity(cfg))
        self.flows = DayFlows(self.agencies.n)
        self.recorder = Recorder(self, record_every)
        self.lever_changes: list[tuple[int, str, object]] = []

    # --- set-up ---------------------------------------------------------
    def _baseline_requests(self) -> np.ndarray:
        """Baseline needs a day each agency is responsible for: what its staff were sized to (C10).

        Fixed at set-up from `agency.staffed_need_rate`, so demand raised later
        (a higher need rate, or latent demand voiced by efficacious citizens)
        can outrun capacity.
        """
        c = self.cfg.citizen
        cit = self.citizens
        weight = np.where(cit.origin_excluded, c.need_ratio_excluded, 1.0)
        per_district = np.bincount(cit.district, weights=weight, minlength=self.geo.n_districts)
        per_district *= self.cfg.agency.staffed_need_rate
        level, sector, district = self.geo.agency_table()
        served = np.where(district >= 0, per_district[np.maximum(district, 0)], per_district.sum())
        level_share = np.asarray(self.cfg.agency.level_need_shares) / sum(self.cfg.agency.level_need_shares)
        sector_share = np.asarray(self.cfg.agency.sector_need_shares) / sum(self.cfg.agency.sector_need_shares)
        return served * level_share[level] * sector_share[sector]

    def _create_agencies(self) -> Agencies:
        a = self.cfg.agency
        level, sector, district = self.geo.agency_table()
        n = len(level)
        motivation = self.rng.beta(a.motivation_alpha, a.motivation_beta, n)
        skill = self.rng.beta(a.skill_alpha, a.skill_beta, n)
        # early adopters are the enthusiastic: drawn in proportion to motivation
        early = np.zeros(n, dtype=bool)
        n_early = int(round(a.initial_account_share * n))
        early[self.rng.choice(n, size=n_early, replace=False, p=motivation / motivation.sum())] = True
        return Agencies(level, sector, district, motivation, skill, self._baseline_requests(), early)

    def _create_leaders(self) -> Leaders:
        n = n_leaders(self.cfg)
        n_ag = self.geo.n_agencies
        popularity = self.rng.pareto(POPULARITY_ALPHA, n) + 1.0
        k = min(AGENCIES_WATCHED, n_ag)
        watched = np.array([self.rng.choice(n_ag, size=k, replace=False) for _ in range(n)]).reshape(n, k)
        return Leaders(popularity, watched)

    # --- state read by agents --------------------------------------------
    @property
    def account_share(self) -> float:
        """Share of agencies with an account (np.mean of has_account: a count over n, exactly)."""
        return np.count_nonzero(self.agencies.has_account) / self.agencies.n

    @property
    def hub_active(self) -> bool:
        return self.hub_open

    def _agency_day(self, clarity: np.ndarray) -> AgencyDay:
        """What the agencies offer today, at today's `clarity` (and the hub's capacity and clarity)."""
        ag = self.agencies
        cfg = self.cfg
        hub_capacity, hub_clarity = 0, 0.0
        if self.hub_active:
            # the hub runs on the effort, skill and clarity its participants give it, plus costed extra staff
            extra = cfg.policy.integration.extra_staff_per_10k * self.citizens.n / 10_000
            pooled = float(ag.hub_hours.sum())
            hours = pooled + extra
            hub_capacity = int(stochastic_round(hours / cfg.agency.cost_reply, self.rng.random()))
            if hours > 0:
                given = float((ag.hub_hours * clarity).sum())
                mean_clarity = given / pooled if pooled > 0 else float(clarity.mean())
                hub_clarity = (given + extra * mean_clarity) / hours
        return AgencyDay(
            has_account=ag.has_account,
            clarity=clarity,
            substantive=ag.substantive,
            filler=ag.filler,
            replies=ag.replies,
            boilerplate=ag.boilerplate,
            office=ag.office,
            responsiveness=ag.responsiveness(),
            hub_active=self.hub_active,
            hub_capacity=hub_capacity,
            hub_clarity=hub_clarity,
        )

    def credibility_table(self) -> np.ndarray:
        """Credibility per agency account, NaN for agencies without one, plus a NaN pad (unfollowed slot)."""
        return kernels.account_credibility_table(self.agencies.has_account, self.agencies.credibility(self.cfg))

    # --- levers -----------------------------------------------------------
    def set_lever(self, key: str, value: object) -> None:
        """Change a policy lever between days (see sim.levers); acts from the next day on."""
        set_lever(self, key, value)

    def lever_changed(self, key: str, old: SimConfig, new: SimConfig) -> None:
        """Re-apply the levers the model turned into state when it was built."""
        if key == "policy.integration.enabled":
            self.programmes.set_hub(new.policy.integration.enabled)

    # --- the day --------------------------------------------------------
    def step(self) -> None:
        day = round(self.time)
        if day > self.cfg.days:
            raise RuntimeError(f"the run is over: days={self.cfg.days}")
        self.day = day
        cfg = self.cfg
        rng = self.rng
        ag = self.agencies
        # imitation reads yesterday's share: adoption is a synchronous update
        ag.adopt(cfg, day, self.account_share, rng)
        inbox = self.ledger.queue_sizes()[: ag.n]
        # today's clarity, for the plan, the service, the leaders and the books (training acts after them)
        clarity = ag.clarity(cfg)
        ag.plan(cfg, day, inbox, self.hub_share if self.hub_open else 0.0, clarity, rng)
        self.today = self._agency_day(clarity)
        self.leaders.act(cfg, self.today, rng)
        feed = self._exposure()
        cit = self.citizens
        cit.participate(cfg, day, feed.heard, rng)
        cit.hear(cfg, feed)
        cit.churn(cfg, feed.credibility, rng)
        flows = self.flows = DayFlows(ag.n)
        flows.arisen = self._needs_arise(day)
        route(cfg, self.ledger, cit, self.today, self.programmes.assisted_coverage(day), day, rng, flows)
        closed = serve(cfg, self.ledger, self.today, day, rng, flows)
        cit.learn_from_attempts(cfg, closed.attempt_citizen, closed.attempt_success)
        cit.experience(cfg, closed.citizen, closed.quality)
        # citizens whose need was met count it and remember the day
        kernels.book_served(closed.citizen, closed.met, day, cit.needs_met, cit.last_served)
        ag.settle(cfg, day, flows.replied, flows.resolved, flows.withdrawn, clarity)
        self.recorder.push(day, flows, self.today)
        self.programmes.act(day)
        self.ledger.check_conservation()
        self.recorder.record(day)
        self.running = day < self.cfg.days

    def _exposure(self) -> Feed:
        """Valuable content heard directly and via leaders, within finite attention; criticism heard;
        and the credibility of the accounts each citizen follows.

        Each citizen's feed holds the posts of the accounts they follow and the
        leaders' relays; they read `attention_items` of them a day, so filler
        and officialese dilute what valuable posts deliver (C3, C5, C8).
        """
        cfg = self.cfg
        cit = self.citizens
        t = self.today
        filler_value = cfg.agency.filler_value
        credibility = self.credibility_table()
        attention = np.float32(cfg.citizen.attention_items)
        # one row per account (value of its posts, items, credibility, has an account; the unfollowed
        # pad last) and one per leader (relayed value, relays, criticisms), summed over follow slots;
        # the share of the feed read is min(1, attention / max(feed, attention))
        accounts, leaders, with_crit = kernels.feed_tables(
            t.substantive, t.filler, t.clarity, credibility, float(filler_value), self.leaders.relays,
            self.leaders.criticisms, np.float32(cfg.leader.relay_weight),
        )  # fmt: skip
        # at most the citizen's k slots: the narrowest type that holds k (a byte a citizen)
        n_followed = np.empty(cit.n, dtype=np.min_scalar_type(cit.follows_agency.shape[0]))
        heard, criticised, cred_sum = kernels.feed_gather(
            accounts, cit.follows_agency, leaders, cit.follows_leader, attention, with_crit, n_followed
        )
        return Feed(heard, criticised if with_crit else None, credibility, cred_sum, n_followed)

    def _needs_arise(self, day: int) -> int:
        """Needs arrive by thinning: O(needs), not O(citizens) (C6, C10)."""
        c = self.cfg.citizen
        cit = self.citizens
        rng = self.rng
        top_weight = max(1.0, c.need_ratio_excluded)
        p_max = c.need_rate * top_weight * (1 + c.latent_demand)
        a = self.cfg.agency
        # candidates: Binomial(n, p_max) citizens drawn uniformly; a candidate's need arises with chance
        # need_rate x weight x (1 + latent_demand x efficacy) / p_max: weight need_ratio_excluded for the
        # excluded cohort; latent demand, citizens who believe asking helps voice more needs (C10). Counted
        # per citizen; their group and cohort go to the ledger, with each need's sector and level, drawn
        # by the configured shares.
        who, group, cohort, agency = kernels.needs_arising(
            kernels.generator_handle(rng), cit.n, p_max, c.need_rate, c.need_ratio_excluded,
            np.float32(c.latent_demand), cit.origin_excluded, cit.efficacy, cit.connected, cit.needs_arisen,
            _cdf(tuple(a.sector_need_shares)), _cdf(tuple(a.level_need_shares)), cit.district, self.responsible,
        )  # fmt: skip
        self.ledger.add(who, group, cohort, agency, day)
        return len(who)

    # --- running --------------------------------------------------------
    def run(self) -> None:
        """Run the configured number of days."""
        self.run_for(self.cfg.days)
