"""Policy programmes that act after the day's service: training and inclusion.

The one-stop hub (integration) opens as a Mesa event on its start day; the
mandate and audits belong to the authority. Programme sizes are rates per
year, delivered daily with unbiased stochastic rounding, so a year of days
delivers the configured amount on average at any population size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.rounding import stochastic_round

if TYPE_CHECKING:
    from sim.model import GovSimModel


class Programmes:
    def __init__(self, model: GovSimModel) -> None:
        self.model = model
        integration = model.cfg.policy.integration
        if integration.enabled:
            model.schedule_event(self.open_hub, at=integration.start_day - 0.5)

    def open_hub(self) -> None:
        """Whole-of-government one-stop account: participants pool staff, requests are routed (C7)."""
        if self.model.cfg.policy.integration.enabled:
            self.model.hub_open = True
            self.model.hub_share = self.model.cfg.policy.integration.pooled_staff_share

    def set_hub(self, enabled: bool) -> None:
        """The integration lever moved mid-run: open the hub now (or on its start day), or close it."""
        integration = self.model.cfg.policy.integration
        if not enabled:
            self.model.hub_open = False
        elif self.model.day + 1 >= integration.start_day:
            self.open_hub()
        else:
            self.model.schedule_event(self.open_hub, at=integration.start_day - 0.5)

    def act(self, day: int) -> None:
        self._train(day)
        self._include(day)

    def _train(self, day: int) -> None:
        """Train a share of agencies per year, untrained first (C8, C9)."""
        model = self.model
        t = model.cfg.policy.training
        if t.share_per_year == 0 or day < t.start_day:
            return
        ag = model.agencies
        untrained = np.flatnonzero(~ag.trained)
        n = min(len(untrained), int(stochastic_round(t.share_per_year * ag.n / 365, model.rng.random())))
        if n:
            ag.train(model.rng.choice(untrained, size=n, replace=False), t.skill_gain, t.motivation_gain)

    def _include(self, day: int) -> None:
        """Digital-literacy places move excluded citizens online (C6)."""
        model = self.model
        inc = model.cfg.policy.inclusion
        if inc.places_per_10k == 0 or day < inc.start_day:
            return
        citizens = model.citizens
        expected = inc.places_per_10k * citizens.n / 10_000 / 365
        n = int(stochastic_round(expected, model.rng.random()))
        if n == 0:
            return
        excluded = np.flatnonzero(~citizens.connected)
        n = min(n, len(excluded))
        graduates = model.rng.choice(excluded, size=n, replace=False)
        citizens.include(graduates, model.cfg.policy.inclusion.trainee_skill)
        # graduates now read the leaders they follow
        gained = np.bincount(citizens.follows_leader[:, graduates].ravel(), minlength=model.leaders.n + 1)
        model.leaders.followers += gained[: model.leaders.n]

    def assisted_coverage(self, day: int) -> float:
        inc = self.model.cfg.policy.inclusion
        return inc.assisted_coverage if day >= inc.start_day else 0.0
