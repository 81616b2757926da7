"""The compiled kernels (sim.kernels, numba) give the numpy rules' numbers bit for bit.

Each case runs the same model twice, kernels off and on, and compares the daily table and
the citizens' and agencies' state exactly (not approximately: an exact optimisation).
"""

from __future__ import annotations

import numpy as np
import pytest

import sim.kernels as kernels
from sim.api import load_config
from sim.model import GovSimModel

pytestmark = pytest.mark.skipif(not kernels.HAVE_NUMBA, reason="numba not installed")

CASES = [
    ["population=classroom", "policy=comprehensive", "seed=4", "days=200", "citizen.follow_churn=0.05"],
    ["population=classroom", "policy=integration", "seed=2", "days=200"],
    ["population=classroom", "policy=quota_quality", "seed=1", "days=150"],
    ["population=classroom", "policy.audit.metric=replies", "policy.audit.quota=30", "seed=3", "days=150"],
    ["population.n_citizens=5000", "seed=5", "days=120"],
]


def _run(overrides: list[str], enabled: bool, monkeypatch: pytest.MonkeyPatch) -> GovSimModel:
    monkeypatch.setattr(kernels, "ENABLED", enabled)
    model = GovSimModel(load_config(overrides))
    model.run()
    return model


@pytest.mark.parametrize("overrides", CASES, ids=lambda o: " ".join(o))
def test_kernels_equal_the_numpy_rules_bit_for_bit(overrides: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    plain = _run(overrides, False, monkeypatch)
    compiled = _run(overrides, True, monkeypatch)
    a, b = plain.recorder.timeseries(), compiled.recorder.timeseries()
    assert a.shape == b.shape and np.array_equal(a.to_numpy(), b.to_numpy(), equal_nan=True)
    for name in ("trust", "efficacy", "satisfaction", "expectation", "posts", "last_active", "needs_met",
                 "needs_arisen", "follows_agency", "unfollowed"):  # fmt: skip
        x, y = getattr(plain.citizens, name), getattr(compiled.citizens, name)
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes(), name
    for name in ("value_ema", "items_ema", "answered_ema", "ended_ema", "period_counts", "posts_total"):
        x, y = getattr(plain.agencies, name), getattr(compiled.agencies, name)
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes(), name
    for name, col in plain.ledger.cols.items():
        assert col.tobytes() == compiled.ledger.cols[name].tobytes(), name


def test_mean_f32_is_numpys_pairwise_mean() -> None:
    rng = np.random.default_rng(0)
    for n in [*range(1, 300), 1000, 4097, 10_000, 100_003]:
        x = (rng.random(n) * rng.choice([1e-3, 1.0, 1e3])).astype(np.float32)
        assert kernels.mean_f32(x) == float(x.mean()), n
