"""Government agencies: adopt an account, split staff time, post, reply.

Agencies are few (about a hundred per city) and rich in behaviour, so each is
a Mesa agent with scalar state. What they decide each day (how many posts,
filler posts, replies and office cases) is read by the model as vectors and
applied to the citizen crowd in bulk.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from sim.model import GovSimModel


def stochastic_round(x: float, u: float) -> int:
    """floor(x) plus one with probability frac(x): unbiased integer work units."""
    return math.floor(x + u) if x > 0 else 0


class Agency(mesa.Agent):
    model: GovSimModel

    def __init__(
        self,
        model: GovSimModel,
        index: int,
        level: int,
        sector: int,
        district: int,
        motivation: float,
        skill: float,
        online_hours: float,
        office_capacity: float,
        has_account: bool,
    ) -> None:
        super().__init__(model)
        self.index = index
        self.level = level
        self.sector = sector
        self.district = district  # -1 above district level
        self.motivation = motivation
        self.skill = skill
        self.online_hours = online_hours
        self.office_capacity = office_capacity
        self.has_account = has_account
        self.account_day = 0 if has_account else -1
        self.mandated = False
        self.trained = False
        self.pressure = 0.0
        # cumulative counts
        self.posts_total = 0
        self.filler_total = 0
        self.replies_total = 0
        self.resolutions_total = 0
        # counts in the current audit period
        self.period_counts = {"posts": 0, "replies": 0, "resolutions": 0}
        self.last_substantive_day = -(10**6)
        self.last_reply_day = -(10**6)
        self.last_resolution_day = -(10**6)
        # what the agency decides today
        self.substantive_today = 0
        self.filler_today = 0
        self.replies_today = 0
        self.boilerplate_today = 0
        self.office_today = 0
        # smoothed answered and ended inbox requests (what leaders watch)
        self._answered_ema = 0.0
        self._ended_ema = 0.0

    # --- derived state --------------------------------------------------
    @property
    def clarity(self) -> float:
        """Chance a reply resolves a request / a post carries value (C8)."""
        floor = self.model.cfg.agency.clarity_floor
        return floor + (1.0 - floor) * self.skill

    @property
    def responsiveness(self) -> float:
        """Recent share of inbox requests answered (1 before any request)."""
        return self._answered_ema / self._ended_ema if self._ended_ema > 1e-9 else 1.0

    def is_ghost(self, day: int) -> bool:
        """Open account, no substantive post and no reply in the ghost window (C2)."""
        window = self.model.cfg.metrics.ghost_days
        return self.has_account and max(self.last_substantive_day, self.last_reply_day) <= day - window

    # --- daily behaviour ------------------------------------------------
    def adopt(self, day: int) -> None:
        """Open an account: own enthusiasm + imitation (Bass), or forced by mandate (C1)."""
        if self.has_account:
            return
        model = self.model
        mandate = model.cfg.policy.mandate
        if self.mandated and day >= mandate.start_day:
            # mandated agencies comply evenly until the deadline
            hazard = 1.0 / max(1, mandate.deadline_day - day + 1)
        else:
            a = model.cfg.agency
            peers = model.peer_share
            enthusiasm = self.motivation / model.mean_motivation_prior
            hazard = (a.adoption_innovation + a.adoption_imitation * peers) * enthusiasm
        if model.rng.random() < hazard:
            self.has_account = True
            self.account_day = day

    def plan(self, day: int, inbox: int) -> None:
        """Split today's staff time between replies, substantive posts and filler (C3, C4)."""
        model = self.model
        a = model.cfg.agency
        policy = model.cfg.policy
        self.substantive_today = self.filler_today = 0
        self.replies_today = self.boilerplate_today = 0
        diverted = 0.0
        if self.has_account and policy.offline_diversion > 0 and (self.mandated or self.pressure > 0):
            diverted = policy.offline_diversion * self.office_capacity
        self.office_today = stochastic_round(self.office_capacity - diverted, model.rng.random())
        if not self.has_account:
            return
        hours = self.online_hours * (1.0 - model.hub_share) + diverted * a.cost_reply
        u = model.rng.random(3).tolist()
        # intrinsic effort: motivated officials spend their time; the skilled
        # give their share of it to dialogue, the unskilled broadcast (C4)
        intrinsic = hours * self.motivation
        self.replies_today = min(inbox, stochastic_round(intrinsic * self.skill / a.cost_reply, u[0]))
        self.substantive_today = stochastic_round(intrinsic * (1.0 - self.skill) / a.cost_post, u[1])
        spare = hours - intrinsic
        self._comply(day, inbox, spare, u[2])

    def _comply(self, day: int, inbox: int, spare: float, u: float) -> None:
        """Close the pro-rata gap to the audit quota the cheapest way (C3)."""
        model = self.model
        a = model.cfg.agency
        audit = model.cfg.policy.audit
        if audit.metric == "none" or audit.quota == 0:
            return
        into_period = (day - 1) % audit.period_days + 1
        target = audit.quota * into_period / audit.period_days
        planned = {
            "posts": self.substantive_today,
            "replies": self.replies_today,
            "resolutions": self.replies_today * self.clarity,
        }[audit.metric]
        gap = target - self.period_counts[audit.metric] - planned
        if gap <= 0:
            return
        compliance = min(1.0, a.base_compliance + self.pressure)
        units = stochastic_round(compliance * gap, u)
        free_inbox = inbox - self.replies_today
        if audit.metric == "posts":
            self.filler_today = min(units, int(spare / a.cost_filler))
        elif audit.metric == "replies":
            cost = a.cost_reply * a.boilerplate_cost_factor
            self.boilerplate_today = min(units, free_inbox, int(spare / cost))
        else:  # resolutions: only real replies count, each resolves with clarity
            needed = int(np.ceil(units / self.clarity))
            self.replies_today += min(needed, free_inbox, int(spare / a.cost_reply))

    def settle(self, day: int, replied: int, resolved: int, withdrawn: int, alpha: float) -> None:
        """Book today's posts and what the service of the inbox actually delivered."""
        self._answered_ema += alpha * (replied - self._answered_ema)
        self._ended_ema += alpha * (replied + withdrawn - self._ended_ema)
        posts = self.substantive_today + self.filler_today
        self.posts_total += posts
        self.filler_total += self.filler_today
        self.replies_total += replied
        self.resolutions_total += resolved
        self.period_counts["posts"] += posts
        self.period_counts["replies"] += replied
        self.period_counts["resolutions"] += resolved
        if self.substantive_today:
            self.last_substantive_day = day
        if replied:
            self.last_reply_day = day
        if resolved:
            self.last_resolution_day = day

    def train(self, skill_gain: float, motivation_gain: float) -> None:
        """Formal training raises communication skill and motivation (C8, C9)."""
        self.trained = True
        self.skill = min(1.0, self.skill + skill_gain)
        self.motivation = min(1.0, self.motivation + motivation_gain)
