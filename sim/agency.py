"""Government agencies: adopt an account, split staff time, post, reply.

State lives in `Agencies`, one numpy column per attribute and one row per
agency, and each day's adopt, plan and settle are a few vectorised operations
over all agencies. Each agency is still a Mesa agent (`Agency`), held by the
model's AgentSet: the agent is a view on its row, so `agency.motivation` or
`agency.has_account` read (and write) the column entry. This keeps the
agent-level interface for inspection, tests and the dashboard, while the
daily step does no per-agency Python.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.config import ADOPTION_IMITATION, BOILERPLATE_COST_FACTOR, FILLER_HOURS, SimConfig
from sim.rounding import stochastic_round

if TYPE_CHECKING:
    from sim.model import GovSimModel

NEVER = -(10**6)  # "last day" of something that never happened
METRIC_COLUMN = {"posts": 0, "replies": 1, "resolutions": 2}


class Agencies:
    """Columns of agency state, one row per agency (index = agency id)."""

    def __init__(
        self,
        level: np.ndarray,
        sector: np.ndarray,
        district: np.ndarray,
        motivation: np.ndarray,
        skill: np.ndarray,
        demand: np.ndarray,
        has_account: np.ndarray,
    ) -> None:
        n = len(level)
        self.n = n
        self.level, self.sector, self.district = level, sector, district  # district -1 above district level
        self.motivation = motivation.astype(np.float64)
        self.skill = skill.astype(np.float64)
        self.demand = demand  # baseline requests a day the staff were sized for (fixed, C10)
        self.has_account = has_account.copy()
        self.account_day = np.where(has_account, 0, -1)
        self.mandated = np.zeros(n, dtype=bool)
        self.trained = np.zeros(n, dtype=bool)
        self.pressure = np.zeros(n)
        self.posts_total = np.zeros(n, dtype=np.int64)
        self.filler_total = np.zeros(n, dtype=np.int64)
        self.replies_total = np.zeros(n, dtype=np.int64)
        self.resolutions_total = np.zeros(n, dtype=np.int64)
        self.period_counts = np.zeros((3, n), dtype=np.int64)  # posts, replies, resolutions this audit period
        self.last_substantive_day = np.full(n, NEVER)
        self.last_reply_day = np.full(n, NEVER)
        self.last_resolution_day = np.full(n, NEVER)
        # what the agency decides today
        self.substantive = np.zeros(n, dtype=np.int64)
        self.filler = np.zeros(n, dtype=np.int64)
        self.replies = np.zeros(n, dtype=np.int64)
        self.boilerplate = np.zeros(n, dtype=np.int64)
        self.office = np.zeros(n, dtype=np.int64)
        self.hub_hours = np.zeros(n)  # hours given to the one-stop hub today (effort, reply share)
        # smoothed answered / ended inbox requests (what leaders watch)
        self.answered_ema = np.zeros(n)
        self.ended_ema = np.zeros(n)
        # smoothed value and items of the account's output (its credibility, C3)
        self.value_ema = np.zeros(n)
        self.items_ema = np.zeros(n)

    # --- derived state --------------------------------------------------
    def clarity(self, cfg: SimConfig) -> np.ndarray:
        """Chance a reply resolves a request / share of a post's content that gets through (C8)."""
        floor = cfg.agency.clarity_floor
        return floor + (1.0 - floor) * self.skill

    def responsiveness(self) -> np.ndarray:
        """Recent share of inbox requests answered (1 before any request)."""
        ended = self.ended_ema > 1e-9
        return np.where(ended, self.answered_ema / np.where(ended, self.ended_ema, 1.0), 1.0)

    def credibility(self, cfg: SimConfig) -> np.ndarray:
        """What citizens make of an account over the last window: active, and with content (C2, C3).

        The share of its items (posts and replies) that carried value, times the
        chance it said anything at all in a window: filler and silence both cost.
        """
        window = cfg.metrics.window_days
        items = self.items_ema
        share = np.divide(self.value_ema, items, out=np.zeros(self.n), where=items > 1e-12)
        return share * -np.expm1(-items * window)

    def ghost(self, day: int, window: int) -> np.ndarray:
        """Open account, no substantive post and no reply in the ghost window (C2)."""
        return self.has_account & (np.maximum(self.last_substantive_day, self.last_reply_day) <= day - window)

    def posting_hours(self, cfg: SimConfig) -> np.ndarray:
        """Staff hours a day for the account itself (the same for every agency: posts do not scale with caseload)."""
        return np.full(self.n, cfg.agency.staff_capacity * cfg.agency.posting_hours)

    def caseload_hours(self, cfg: SimConfig) -> np.ndarray:
        """Online caseload hours a day, sized to the baseline demand the agency serves."""
        a = cfg.agency
        return a.staff_capacity * a.online_staff_ratio * self.demand

    def online_hours(self, cfg: SimConfig) -> np.ndarray:
        return self.posting_hours(cfg) + self.caseload_hours(cfg)

    def office_capacity(self, cfg: SimConfig) -> np.ndarray:
        """Office cases a day (sized to baseline demand)."""
        return cfg.agency.staff_capacity * cfg.agency.offline_staff_ratio * self.demand

    # --- daily behaviour ------------------------------------------------
    def adopt(self, cfg: SimConfig, day: int, peer_share: float, rng: np.random.Generator) -> None:
        """Open accounts: own enthusiasm + imitation (Bass), or forced by the mandate (C1)."""
        mandate = cfg.policy.mandate
        a = cfg.agency
        prior = a.motivation_alpha / (a.motivation_alpha + a.motivation_beta)
        hazard = (a.adoption_innovation + ADOPTION_IMITATION * peer_share) * self.motivation / prior
        if day >= mandate.start_day:
            # mandated agencies comply evenly until the deadline
            forced = 1.0 / max(1, mandate.deadline_day - day + 1)
            hazard = np.where(self.mandated, forced, hazard)
        opened = ~self.has_account & (rng.random(self.n) < hazard)
        self.has_account |= opened
        self.account_day[opened] = day

    def plan(self, cfg: SimConfig, day: int, inbox: np.ndarray, hub_share: float, rng: np.random.Generator) -> None:
        """Split today's staff time between the audit, replies, substantive posts and the hub (C3, C4, C7).

        Effort is the share `motivation` of the account's hours (posting hours
        plus online caseload hours). Audit work is paid first, a share
        `audit_crowding` of it out of that effort (the rest from idle hours),
        so pressed, unmotivated agencies pass the audit and answer citizens
        with what is left. The skilled give their share `skill` of what is left
        to dialogue (replies); the rest of the account's own hours goes to
        broadcasting (substantive posts), and the rest of the casework hours is
        lost to the online channel: the untrained cannot turn a case into an
        answer (C4). Posts come from the account's hours only, so they do not
        grow with an agency's caseload.
        """
        a = cfg.agency
        policy = cfg.policy
        u = rng.random((5, self.n))  # office, audit, replies, posts; row 4 is spare (kept: calibrated streams)
        acc = self.has_account
        office = self.office_capacity(cfg)
        pressed = acc & (self.mandated | (self.pressure > 0))
        diverted = np.where(pressed, policy.offline_diversion * office, 0.0)
        self.office = stochastic_round(office - diverted, u[0])
        post_hours = np.where(acc, self.posting_hours(cfg), 0.0)
        case_hours = np.where(acc, self.caseload_hours(cfg) + diverted * a.cost_reply, 0.0)
        # participating agencies (those with an account) give a share of their casework to the hub
        pooled = hub_share * case_hours
        self.hub_hours = pooled * self.motivation * self.skill
        case_hours = case_hours - pooled
        hours = post_hours + case_hours
        effort = hours * self.motivation
        idle = hours - effort
        post_share = np.divide(post_hours, hours, out=np.zeros(self.n), where=hours > 0)
        clarity = self.clarity(cfg)

        # replies and boilerplate need requests to answer: audit work is bounded by the inbox left over
        room = np.maximum(0, inbox - np.floor(effort * self.skill / a.cost_reply))
        audit_cost, unit_cost, units = self._audit_gap(cfg, day, effort, post_share, clarity, room, u[1])
        from_effort = np.minimum(effort, a.audit_crowding * audit_cost)
        affordable = np.minimum(audit_cost, from_effort + idle)
        done = np.where(unit_cost > 0, np.floor(affordable / np.where(unit_cost > 0, unit_cost, 1.0) + 1e-9), 0)
        units = np.minimum(units, done).astype(np.int64)
        left = effort - np.minimum(from_effort, units * unit_cost)
        self.substantive = stochastic_round(left * post_share * (1.0 - self.skill) / a.cost_post, u[3])
        replies = stochastic_round(left * self.skill / a.cost_reply, u[2])
        self.replies = np.minimum(inbox, replies)
        self.filler = np.zeros(self.n, dtype=np.int64)
        self.boilerplate = np.zeros(self.n, dtype=np.int64)
        metric = policy.audit.metric
        if metric == "posts":
            self.filler = np.where(acc, units, 0)
        elif metric == "replies":
            self.boilerplate = np.minimum(units, inbox - self.replies)
        elif metric == "resolutions":  # only real replies count, each resolves with clarity
            self.replies = np.minimum(inbox, self.replies + units)

    def _audit_gap(
        self,
        cfg: SimConfig,
        day: int,
        effort: np.ndarray,
        post_share: np.ndarray,
        clarity: np.ndarray,
        room: np.ndarray,
        u: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Hours, cost per unit and units of today's audit work: the pro-rata gap, closed with compliance."""
        a = cfg.agency
        audit = cfg.policy.audit
        zero = np.zeros(self.n)
        if audit.metric == "none" or audit.quota == 0:
            return zero, zero, zero.astype(np.int64)
        into_period = (day - 1) % audit.period_days + 1
        target = audit.quota * into_period / audit.period_days
        # what today's effort would deliver anyway (before the audit takes its share)
        replies = effort * self.skill / a.cost_reply
        planned = {
            "posts": effort * post_share * (1.0 - self.skill) / a.cost_post,
            "replies": replies,
            "resolutions": replies * clarity,
        }[audit.metric]
        gap = target - self.period_counts[METRIC_COLUMN[audit.metric]] - planned
        compliance = np.minimum(1.0, a.base_compliance + self.pressure)
        if audit.metric == "resolutions":  # units are real replies, each resolving with clarity
            gap = gap / clarity
        units = np.where(self.has_account & (gap > 0), stochastic_round(compliance * gap, u), 0)
        if audit.metric != "posts":  # filler can always be posted; answers need someone who asked
            units = np.minimum(units, room).astype(np.int64)
        unit_cost = np.full(
            self.n,
            {"posts": FILLER_HOURS, "replies": a.cost_reply * BOILERPLATE_COST_FACTOR, "resolutions": a.cost_reply}[
                audit.metric
            ],
        )
        return units * unit_cost, unit_cost, units

    def settle(
        self, cfg: SimConfig, day: int, replied: np.ndarray, resolved: np.ndarray, withdrawn: np.ndarray
    ) -> None:
        """Book today's posts and what the service of the inbox actually delivered."""
        alpha = 1.0 / cfg.metrics.window_days
        self.answered_ema += alpha * (replied - self.answered_ema)
        self.ended_ema += alpha * (replied + withdrawn - self.ended_ema)
        clarity = self.clarity(cfg)
        # `replied` counts real replies first, then boilerplate ones (which carry a fraction of the clarity)
        real = np.minimum(self.replies, replied)
        boiler = (replied - real) * cfg.agency.boilerplate_clarity_factor
        value = (self.substantive + cfg.agency.filler_value * self.filler + real + boiler) * clarity
        items = self.substantive + self.filler + replied
        self.value_ema += alpha * (value - self.value_ema)
        self.items_ema += alpha * (items - self.items_ema)
        posts = self.substantive + self.filler
        self.posts_total += posts
        self.filler_total += self.filler
        self.replies_total += replied
        self.resolutions_total += resolved
        self.period_counts += np.stack([posts, replied, resolved])
        self.last_substantive_day[self.substantive > 0] = day
        self.last_reply_day[replied > 0] = day
        self.last_resolution_day[resolved > 0] = day

    def train(self, ids: np.ndarray, skill_gain: float, motivation_gain: float) -> None:
        """Formal training raises communication skill and motivation (C8, C9)."""
        self.trained[ids] = True
        self.skill[ids] = np.minimum(1.0, self.skill[ids] + skill_gain)
        self.motivation[ids] = np.minimum(1.0, self.motivation[ids] + motivation_gain)


def _column(name: str, doc: str) -> property:
    def get(self: Agency):
        return getattr(self.model.agencies, name)[self.index].item()

    def put(self: Agency, value: object) -> None:
        getattr(self.model.agencies, name)[self.index] = value

    return property(get, put, doc=doc)


def _derived(method: str, doc: str) -> property:
    """A read-only view of one agency's entry in a derived column (computed from the config)."""

    def get(self: Agency) -> float:
        return float(getattr(self.model.agencies, method)(self.model.cfg)[self.index])

    return property(get, doc=doc)


class Agency(mesa.Agent):
    """One agency as a Mesa agent: a view on its row of `model.agencies`."""

    model: GovSimModel

    def __init__(self, model: GovSimModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    level = _column("level", "0 province, 1 city, 2 district")
    sector = _column("sector", "index into config.SECTORS")
    district = _column("district", "district served (-1 above district level)")
    motivation = _column("motivation", "intrinsic motivation in [0, 1]")
    skill = _column("skill", "communication skill in [0, 1]")
    has_account = _column("has_account", "whether the agency has opened an account")
    mandated = _column("mandated", "ordered to open an account")
    trained = _column("trained", "has been trained")
    pressure = _column("pressure", "audit pressure")
    posts_total = _column("posts_total", "posts so far (substantive + filler)")
    filler_total = _column("filler_total", "filler posts so far")
    replies_total = _column("replies_total", "replies so far")
    resolutions_total = _column("resolutions_total", "resolved requests so far")

    online_hours = _derived("online_hours", "staff hours a day for the account and its online caseload")
    office_capacity = _derived("office_capacity", "office cases a day")
    clarity = _derived("clarity", "chance a reply resolves a request")

    def is_ghost(self, day: int) -> bool:
        return bool(self.model.agencies.ghost(day, self.model.cfg.metrics.ghost_days)[self.index])
