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
        w = self.watched
        posts = model.today.substantive[w]
        p_relay = cfg.relay_prob * model.today.clarity[w]
        self.relays_today = int(model.rng.binomial(posts, p_relay).sum())
        unresponsive = model.today.has_account[w] & (model.today.responsiveness[w] < cfg.criticism_threshold)
        self.criticisms_today = int(model.rng.binomial(unresponsive.astype(np.int64), cfg.criticism_prob).sum())

    @property
    def reach_today(self) -> int:
        """Follower exposures to relayed government content today."""
        return self.relays_today * self.followers
