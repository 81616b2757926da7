"""What a ready lesson tells the class to notice is what the model shows in that lesson's town.

Lesson 2 (dashboard/lessons/2_offline_citizens.md) says that over the second year the
offline citizens' gap in the quota town is larger than in the inclusion town and that
both groups are better served under inclusion; checked on seeds other than the lesson's.
"""

from __future__ import annotations

import pytest

from sim.api import run_simulation


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_lesson_2_the_quota_town_leaves_the_offline_further_behind(seed: int) -> None:
    quota, inclusion = (
        run_simulation(policy=p, population="classroom", seed=seed, overrides=["days=730"]).summary
        for p in ("quota", "inclusion")
    )
    assert quota["equity_gap"] > inclusion["equity_gap"]
    for group in ("needs_met_connected", "needs_met_excluded"):
        assert inclusion[group] > quota[group], group
