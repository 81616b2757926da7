"""What a ready lesson tells the class to notice is what the model shows in that lesson's town.

Each test checks one "What to notice" of dashboard/lessons/, on seeds other than the lesson's.
"""

from __future__ import annotations

import pytest

from sim.api import run_simulation


def _summary(policy: str, seed: int, days: int) -> dict[str, float]:
    return run_simulation(policy=policy, population="classroom", seed=seed, overrides=[f"days={days}"]).summary


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_lesson_1_counting_posts_brings_filler_and_fewer_active_citizens(seed: int) -> None:
    quota, free = _summary("quota", seed, 730), _summary("laissez_faire", seed, 730)
    assert quota["account_share"] > free["account_share"] and quota["ghost_share"] > free["ghost_share"]
    assert quota["filler_share"] > free["filler_share"] == 0
    assert quota["active_share"] < free["active_share"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_lesson_3_the_hub_answers_more_and_routes_right(seed: int) -> None:
    free, hub = _summary("laissez_faire", seed, 400), _summary("integration", seed, 400)
    assert hub["replies"] > free["replies"] and hub["response_rate"] > free["response_rate"]
    assert hub["misrouted_share"] < free["misrouted_share"] / 3


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_lesson_2_the_quota_town_leaves_the_offline_further_behind(seed: int) -> None:
    quota, inclusion = _summary("quota", seed, 730), _summary("inclusion", seed, 730)
    assert quota["equity_gap"] > inclusion["equity_gap"]
    for group in ("needs_met_connected", "needs_met_excluded"):
        assert inclusion[group] > quota[group], group
