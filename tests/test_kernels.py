"""The compiled kernels' reductions equal numpy's, bit for bit, and the kernel shim resolves (sim.kernels).

The rules' kernels are checked against the rules as they read, in plain numpy, in
tests/test_crowd_rules.py (crowd and need ledger) and tests/test_agency_rules.py (agencies
and leaders), and against the committed results by `python -m experiments verify`.
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


def test_experience_equals_numpys_gathers_add_at_and_clips() -> None:
    """Citizen by citizen in the kernel; need by need here (many citizens close several needs)."""
    rng = np.random.default_rng(2)
    f32 = np.float32
    n = 3_000
    rates = [f32(x) for x in (0.2, 0.1, 0.1, 0.3, 0.05)]
    for m in (0, 1, 50, 5_000):
        cols = [rng.random(n).astype(np.float32) for _ in range(4)]  # expectation, satisfaction, trust, efficacy
        citizen = rng.integers(0, n if m < 100 else 400, m).astype(np.int32)
        quality = np.where(rng.random(m) < 0.7, rng.random(m), 0.0)
        plain = [x.copy() for x in cols]
        kernels.experience(citizen, quality, *cols, *rates)
        expectation, satisfaction, trust, efficacy = plain
        sl, tl, sf, up, down = rates
        q = quality.astype(np.float32)
        x = expectation[citizen]
        felt = np.clip(f32(0.5) + q - x, 0, 1)
        ratchet = up * np.maximum(q - x, f32(0)) - down * np.maximum(x - q, f32(0))
        for col, rate in ((satisfaction, sl), (trust, tl), (efficacy, sf)):
            np.add.at(col, citizen, rate * (felt - col[citizen]))
        np.add.at(expectation, citizen, ratchet)
        for col in plain:
            col[citizen] = np.clip(col[citizen], 0, 1)
        assert all(np.array_equal(a, b) for a, b in zip(cols, plain, strict=True)), m


def test_the_recorders_mean_is_numpys_mean() -> None:
    from sim.outcomes import _mean

    rng = np.random.default_rng(3)
    for n in [1, 7, 8, 9, 127, 128, 129, 4097, 100_003]:
        for dtype in (np.float32, np.float64):
            x = (rng.random(n) * 10 ** rng.uniform(-3, 3)).astype(dtype)
            assert _mean(x) == float(x.mean()), (n, dtype)


def test_every_kernel_the_model_calls_exists() -> None:
    """sim.kernels resolves its names on first use: a misspelt kernel would pass ruff and mypy and
    fail only in the run that reaches it. Every `kernels.<name>` in sim/ must resolve, and no name
    may be defined by two kernel modules (the shim would silently keep the first)."""
    import ast
    import importlib
    from pathlib import Path

    used = set()
    for path in Path(kernels.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "kernels":
                used.add(node.attr)
    assert used, "no kernel calls found"
    missing = sorted(name for name in used if not hasattr(kernels, name))
    assert not missing, missing
    public = [
        {
            k
            for k in vars(importlib.import_module(m))
            if not k.startswith("_") and k not in ("numba", "np", "annotations")
        }
        for m in kernels._MODULES
    ]
    assert not set.intersection(*public), set.intersection(*public)
