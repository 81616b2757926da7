"""The compiled kernels' reductions equal numpy's, bit for bit, and the kernel shim resolves (sim.kernels).

The rules' kernels are checked against the rules as they read, in plain numpy, in
tests/test_crowd_rules.py (crowd and need ledger) and tests/test_agency_rules.py (agencies
and leaders), and against the committed results by `python -m experiments verify`.
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
