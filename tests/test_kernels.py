"""The compiled kernels' reductions equal numpy's, bit for bit (sim.kernels).

The daily outcome means are float32 sums in numpy's pairwise order, so that a mean in the
daily table is exactly `np.mean` of the column; the rules' own kernels are checked against
plain readings of the rules in tests/test_incremental.py and by the digest of every
committed result (`python -m experiments verify`).
"""

from __future__ import annotations

import numpy as np

from sim import kernels


def test_mean_f32_is_numpys_pairwise_mean() -> None:
    rng = np.random.default_rng(0)
    for n in [*range(1, 300), 1000, 4097, 10_000, 100_003]:
        x = (rng.random(n) * rng.choice([1e-3, 1.0, 1e3])).astype(np.float32)
        assert kernels.mean_f32(x) == float(x.mean()), n


def test_crowd_counts_and_pair_counts_equal_numpys() -> None:
    rng = np.random.default_rng(1)
    n = 5_000
    last_active = rng.integers(-50, 100, n)
    posts = rng.integers(0, 3, n).astype(np.int32)
    connected = rng.random(n) < 0.5
    active, ever, n_conn = kernels.crowd_counts(last_active, 70, posts, connected)
    assert (active, ever, n_conn) == (
        np.count_nonzero(last_active > 70), np.count_nonzero(posts), np.count_nonzero(connected)
    )  # fmt: skip
    arisen = rng.integers(0, 6, n).astype(np.int32)
    met = np.minimum(arisen, rng.integers(0, 6, n)).astype(np.int32)
    assert np.array_equal(kernels.pair_counts(arisen, met, 6), np.bincount(arisen * 6 + met, minlength=36))
