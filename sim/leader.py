"""Opinion leaders: the second step of the two-step flow (C5).

A leader watches a dozen agency accounts, relays their valuable posts to its
followers (filler carries nothing worth relaying) and criticises accounts that
leave citizens unanswered, which lowers its followers' trust.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from sim.model import GovSimModel


class OpinionLeader(mesa.Agent):
    model: GovSimModel

    def __init__(self, model: GovSimModel, index: int, popularity: float, watched: np.ndarray) -> None:
        super().__init__(model)
        self.index = index
        self.popularity = popularity
        self.watched = watched  # agency indices
        self.followers = 0
        self.relays_today = 0
        self.criticisms_today = 0

    def step(self) -> None:
        model = self.model
        cfg = model.cfg.leader
        today = model.today
        w = self.watched
        posts = today.substantive[w]
        # draws only when there is something to relay or criticise (most days, little is)
        self.relays_today = 0
        if posts.any():
            self.relays_today = int(model.rng.binomial(posts, cfg.relay_prob * today.clarity[w]).sum())
        unresponsive = int((today.has_account[w] & (today.responsiveness[w] < cfg.criticism_threshold)).sum())
        self.criticisms_today = int(model.rng.binomial(unresponsive, cfg.criticism_prob)) if unresponsive else 0

    @property
    def reach_today(self) -> int:
        """Follower exposures to relayed government content today."""
        return self.relays_today * self.followers
