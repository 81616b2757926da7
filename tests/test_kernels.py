"""The compiled kernels' reductions equal numpy's (sim.kernels).

The rules' own kernels are checked against plain readings of the rules in
tests/test_incremental.py and by the digest of every committed result
(`python -m experiments verify`).
"""

from __future__ import annotations

import numpy as np

from sim import kernels


def test_crowd_pass_equals_numpys_counts() -> None:
    rng = np.random.default_rng(0)
    for n in [1, 7, 300, 4097, 10_003]:
        last_active = rng.integers(-50, 100, n).astype(np.int32)
        posts = rng.integers(0, 3, n).astype(np.int32) * rng.integers(0, 50, n).astype(np.int32)
        connected = rng.random(n) < 0.5
        arisen = (rng.integers(0, 3, n) * rng.integers(0, 1 + n % 40, n)).astype(np.int32)
        met = np.minimum(arisen, rng.integers(0, 6, n)).astype(np.int32)
        cutoff = int(rng.integers(0, 40))
        base = int(arisen.max()) + 1
        counts, candidates, pairs = kernels.crowd_pass(last_active, 70, posts, connected, arisen, met, cutoff, base)
        expect = [
            np.count_nonzero(last_active > 70), np.count_nonzero(posts), np.count_nonzero(connected),
            int(posts.sum(dtype=np.int64)),
        ]  # fmt: skip
        assert counts.tolist() == expect, n
        assert np.array_equal(candidates, posts[posts >= cutoff])
        assert np.array_equal(pairs.ravel(), np.bincount(arisen * base + met, minlength=base * base))
