"""Opinion leaders: the second step of the two-step flow (C5).

A leader watches a dozen agency accounts, relays their valuable posts to its
followers (filler carries nothing worth relaying unless the `filler_value`
counterfactual gives it some) and criticises accounts that leave citizens
unanswered, which lowers its followers' trust. Leaders decide in bulk: their
state is a few arrays in `Leaders`, one row per leader, and each `OpinionLeader`
Mesa agent is a view on its row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim import kernels
from sim.config import CRITICISM_THRESHOLD, SimConfig

if TYPE_CHECKING:
    from sim.model import GovSimModel
    from sim.service import AgencyDay


class Leaders:
    def __init__(self, popularity: np.ndarray, watched: np.ndarray) -> None:
        self.n = len(popularity)
        self.popularity = popularity
        self.watched = watched  # (leaders, agencies watched) agency ids
        self.followers = np.zeros(self.n, dtype=np.int64)  # connected followers
        self.relays = np.zeros(self.n, dtype=np.int64)
        self.criticisms = np.zeros(self.n, dtype=np.int64)

    def act(self, cfg: SimConfig, today: AgencyDay, rng: np.random.Generator) -> None:
        """Relay valuable posts of the watched accounts; criticise the unresponsive ones.

        Filler counts as `filler_value` of a post (rounded to whole posts), each relayed
        with chance relay_prob x clarity; each watched account with responsiveness
        below CRITICISM_THRESHOLD is criticised with chance criticism_prob.
        """
        lc = cfg.leader
        self.relays, self.criticisms = kernels.leader_act(
            kernels.generator_handle(rng), self.watched, today.substantive, today.filler,
            float(cfg.agency.filler_value), today.clarity, float(lc.relay_prob), today.has_account,
            today.responsiveness, CRITICISM_THRESHOLD, float(lc.criticism_prob),
        )  # fmt: skip

    def reach(self) -> int:
        """Follower exposures to relayed government content today."""
        return int((self.relays * self.followers).sum())


class OpinionLeader(mesa.Agent):
    """One leader as a Mesa agent: a view on its row of `model.leaders`."""

    model: GovSimModel

    def __init__(self, model: GovSimModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def popularity(self) -> float:
        return float(self.model.leaders.popularity[self.index])

    @property
    def followers(self) -> int:
        return int(self.model.leaders.followers[self.index])

    @property
    def relays_today(self) -> int:
        return int(self.model.leaders.relays[self.index])

    @property
    def criticisms_today(self) -> int:
        return int(self.model.leaders.criticisms[self.index])

    @property
    def watched(self) -> np.ndarray:
        return self.model.leaders.watched[self.index]
