"""Government agencies: adopt an account, split staff time, post, reply.

State lives in `Agencies`, one numpy column per attribute and one row per
agency, and each day's adopt, plan and settle are one compiled loop over all
agencies after the day's numpy draws (sim/_jit_agencies.py; each rule is
stated in its method's docstring). Each agency is still a Mesa agent
(`Agency`), held by the model's AgentSet: the agent is a view on its row, so
`agency.motivation` or `agency.has_account` read (and write) the column
entry. This keeps the agent-level interface for inspection, tests and the
dashboard, while the daily step does no per-agency Python.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim import kernels
from sim.config import ADOPTION_IMITATION, AUDIT_METRICS, BOILERPLATE_COST_FACTOR, FILLER_HOURS, SimConfig

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
        # what the agency decides today (written in place by `plan`)
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
        return kernels.agency_responsiveness(self.answered_ema, self.ended_ema)

    def credibility(self, cfg: SimConfig) -> np.ndarray:
        """What citizens make of an account over the last window: active, and with content (C2, C3).

        The share of its items (posts and replies) that carried value, times the
        chance it said anything at all in a window: filler and silence both cost.
        """
        return kernels.agency_credibility(self.value_ema, self.items_ema, float(cfg.metrics.window_days))

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
        """Open accounts: own enthusiasm + imitation (Bass), or forced by the mandate (C1).

        The daily hazard is (innovation + imitation x peer_share) x motivation / the
        prior's mean motivation; from the mandate's start day, mandated agencies comply
        evenly until the deadline instead (hazard 1 / days left).
        """
        mandate = cfg.policy.mandate
        a = cfg.agency
        prior = a.motivation_alpha / (a.motivation_alpha + a.motivation_beta)
        rate = a.adoption_innovation + ADOPTION_IMITATION * peer_share
        forced = 1.0 / max(1, mandate.deadline_day - day + 1)
        kernels.agency_adopt(
            kernels.generator_handle(rng), self.has_account, self.account_day, self.motivation, self.mandated,
            float(rate), float(prior), day >= mandate.start_day, forced, day,
        )  # fmt: skip

    def plan(
        self,
        cfg: SimConfig,
        day: int,
        inbox: np.ndarray,
        hub_share: float,
        clarity: np.ndarray,
        rng: np.random.Generator,
    ) -> None:
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

        In numbers, per agency (⌊·⌉ is stochastic rounding, clarity today's `clarity`):
        - pressed agencies (an account, and mandated or under audit pressure) divert
          `offline_diversion` of their office capacity online, at `cost_reply` hours
          a case; office cases = ⌊office capacity - diverted⌉;
        - participants give `hub_share` of their casework hours to the hub, which
          gets them x motivation x skill (`hub_hours`);
        - audit units: the pro-rata gap to the quota (target - this period's count -
          what effort delivers anyway; over clarity for resolutions), ⌊compliance x
          gap⌉ with compliance = min(1, base_compliance + pressure); for replies and
          resolutions at most the inbox left after the replies effort gives anyway;
          no more than the idle hours plus the audit hours taken from effort
          (min(effort, audit_crowding x audit hours)) pay for;
        - left = effort - the audit hours taken from effort; substantive posts =
          ⌊left x post share x (1 - skill) / cost_post⌉, replies = ⌊left x skill /
          cost_reply⌉ up to the inbox; the audit units are filler posts (posts),
          boilerplate replies up to the inbox (replies) or more real replies up to
          the inbox (resolutions).
        """
        a = cfg.agency
        policy = cfg.policy
        audit = policy.audit
        metric = AUDIT_METRICS.index(audit.metric)  # 0 none, 1 posts, 2 replies, 3 resolutions
        audit_on = metric > 0 and audit.quota != 0
        into_period = (day - 1) % audit.period_days + 1
        target = audit.quota * into_period / audit.period_days
        # hours per audit unit: a filler post, a boilerplate reply, a real reply
        unit_cost = (0.0, FILLER_HOURS, a.cost_reply * BOILERPLATE_COST_FACTOR, a.cost_reply)[metric]
        period_count = self.period_counts[METRIC_COLUMN.get(audit.metric, 0)]
        # the kernel draws (5, n) uniforms first: office, audit, replies, posts; row 4 is spare (kept:
        # calibrated streams)
        kernels.agency_plan(
            kernels.generator_handle(rng), self.has_account, self.mandated, self.pressure, self.motivation, self.skill,
            clarity, inbox, self.office_capacity(cfg), self.posting_hours(cfg), self.caseload_hours(cfg), period_count,
            float(policy.offline_diversion), float(a.cost_reply), float(a.cost_post), float(hub_share),
            float(a.audit_crowding), float(a.base_compliance), metric, audit_on, float(target), float(unit_cost),
            self.office, self.hub_hours, self.substantive, self.replies, self.filler, self.boilerplate,
        )  # fmt: skip

    def settle(
        self,
        cfg: SimConfig,
        day: int,
        replied: np.ndarray,
        resolved: np.ndarray,
        withdrawn: np.ndarray,
        clarity: np.ndarray,
    ) -> None:
        """Book today's posts and what the service of the inbox delivered, at today's `clarity`.

        The smoothed (1 / window_days) answered and ended requests and the value and
        items of the account's output; `replied` counts real replies first, then
        boilerplate ones, which carry `boilerplate_clarity_factor` of the clarity.
        """
        ac = cfg.agency
        kernels.agency_settle(
            replied, resolved, withdrawn, self.substantive, self.filler, self.replies, clarity,
            1.0 / cfg.metrics.window_days, float(ac.boilerplate_clarity_factor), float(ac.filler_value), day,
            self.answered_ema, self.ended_ema, self.value_ema, self.items_ema, self.posts_total, self.filler_total,
            self.replies_total, self.resolutions_total, self.period_counts, self.last_substantive_day,
            self.last_reply_day, self.last_resolution_day,
        )  # fmt: skip

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
