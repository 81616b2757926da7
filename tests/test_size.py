"""Shares and rates do not depend on the city's size: structure follows the population rule.

Setting only `population.n_citizens` rescales districts (and so agencies) and
opinion leaders, so that citizens per agency and per leader stay what they
are in the default city. Four intensive outcomes of the status quo must then
agree, within their 95 % confidence intervals, at two sizes four times apart,
on seeds the calibration did not use.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import town_runs
from scipy import stats

SEEDS = (21, 22, 23, 24)
OUTCOMES = ("active_share", "answer_rate", "needs_met_connected", "equity_gap_origin")


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_an_intensive_outcome_agrees_at_two_sizes(outcome):
    small = np.array([r[outcome] for r in town_runs("policy=quota", days=500, seeds=SEEDS, size=2_500)])
    large = np.array([r[outcome] for r in town_runs("policy=quota", days=500, seeds=SEEDS, size=10_000)])
    half = stats.t.ppf(0.975, len(SEEDS) - 1) * np.hypot(small.std(ddof=1), large.std(ddof=1)) / np.sqrt(len(SEEDS))
    assert abs(small.mean() - large.mean()) <= half, (outcome, small.round(3), large.round(3))
