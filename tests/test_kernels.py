"""The compiled kernels' reductions and draws equal numpy's, bit for bit, and the kernel shim resolves (sim.kernels).

The rules' kernels are checked against the rules as they read, in plain numpy, in
tests/test_crowd_rules.py (crowd and need ledger) and tests/test_agency_rules.py (agencies
and leaders), and against the committed results by `python -m experiments verify`.
"""

from __future__ import annotations

import copy

import numba
import numpy as np
import pytest

from sim import _bitgen, kernels

UNIFORM, BELOW, BINOMIAL, POISSON = range(4)


@numba.njit
def _draws(handle, kinds, n, p):  # type: ignore[no-untyped-def]
    """One draw of each kind in turn, by sim._bitgen's functions (as float64: the integers are below 2**53)."""
    out = np.empty(len(kinds))
    for i in range(len(kinds)):
        if kinds[i] == UNIFORM:
            out[i] = _bitgen.random(handle, 1)[0]
        elif kinds[i] == BELOW:
            out[i] = _bitgen.integers(handle, n[i], 1)[0]
        elif kinds[i] == BINOMIAL:
            out[i] = _bitgen.binomial(handle, n[i], p[i])
        else:
            out[i] = _bitgen.poissons(handle, p[i : i + 1])[0]
    return out


def _numpy_draws(rng: np.random.Generator, kinds: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """The same draws as numpy's Generator methods, one call each."""
    calls = {
        UNIFORM: lambda i: rng.random(),
        BELOW: lambda i: rng.integers(0, int(n[i])),
        BINOMIAL: lambda i: rng.binomial(int(n[i]), float(p[i])),
        POISSON: lambda i: rng.poisson(float(p[i])),
    }
    return np.array([float(calls[int(k)](i)) for i, k in enumerate(kinds)])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kernel_draws_are_the_generators_draws_and_leave_it_where_numpy_does(seed: int) -> None:
    """sim/_bitgen.py: the kernels draw from the model's generator through its addresses. Each function,
    interleaved with the others (integers below 2**32 take half of a 64-bit draw, which the generator
    buffers), over the paths of numpy's algorithms: integers' 32-bit and 64-bit rejection and its full
    32-bit range; binomial's inversion and BTPE, both sides of p = 0.5, n or p zero; poisson's
    multiplication and PTRS methods, and lam = 0."""
    setup = np.random.default_rng(100 + seed)
    size = 20_000
    kinds = setup.integers(0, 4, size)
    n = np.select(
        [setup.random(size) < 0.2, setup.random(size) < 0.1, setup.random(size) < 0.1],
        [setup.integers(0, 5, size), setup.integers(2**32, 2**40, size), np.full(size, 2**32)],
        setup.integers(1, 3_000, size),
    )
    p = np.select(
        [setup.random(size) < 0.1, setup.random(size) < 0.1],
        [np.zeros(size), np.ones(size)],
        setup.random(size) ** 2 * np.where(kinds == POISSON, 60.0, 1.0),
    )
    n = np.where(kinds == BELOW, np.maximum(n, 1), n)  # integers(0, n) needs n >= 1
    assert {"inversion", "btpe", "mult", "ptrs"} <= {
        "inversion" if k == BINOMIAL and 0 < min(q, 1 - q) * m <= 30 else
        "btpe" if k == BINOMIAL and min(q, 1 - q) * m > 30 else
        "mult" if k == POISSON and 0 < q < 10 else
        "ptrs" if k == POISSON and q >= 10 else ""
        for k, m, q in zip(kinds, n, p, strict=True)
    }  # fmt: skip
    rng = np.random.default_rng(seed)
    twin = copy.deepcopy(rng)
    got = _draws(kernels.generator_handle(rng), kinds, n, p)
    assert np.array_equal(got, _numpy_draws(twin, kinds, n, p))
    assert rng.bit_generator.state == twin.bit_generator.state


BOUNDS = (1, 2, 7, 30, 1000, 10**6, 2**31, 2**32 - 1, 2**32, 2**32 + 1, 2**40)  # integers' every path


@pytest.mark.parametrize("kind", [UNIFORM, BELOW, BINOMIAL, POISSON])
def test_a_million_kernel_draws_are_the_generators_array_draws(kind: int) -> None:
    """Rare branches need many draws: numba 0.68's own Poisson PTRS truncates where numpy floors, which
    changed about one draw in 50,000 at lam near 10 (and 11 of the main job's 140 runs); sim/_bitgen.py
    has numpy's. A million draws of each kind against numpy's array calls, the generator's final state
    equal: random; integers below each of BOUNDS in turn; binomial with n up to 10**6 and any p;
    Poisson at lam in [0, 12) and [10, 60)."""
    setup = np.random.default_rng(kind)
    size = 1_000_000
    n = setup.integers(0, setup.choice([2, 30, 500, 10**6], size), size)
    p = np.where(setup.random(size) < 0.5, setup.uniform(0, 12, size), setup.uniform(10, 60, size))
    rng = np.random.default_rng(kind + 10)
    twin = copy.deepcopy(rng)
    handle = kernels.generator_handle(rng)
    if kind == UNIFORM:
        got, want = [_bitgen.random(handle, size)], [twin.random(size)]
    elif kind == BELOW:
        block = size // len(BOUNDS)
        got = [_bitgen.integers(handle, b, block) for b in BOUNDS]
        want = [twin.integers(0, b, block) for b in BOUNDS]
    elif kind == BINOMIAL:
        q = setup.random(size)
        got, want = [_bitgen.binomials(handle, n, q)], [twin.binomial(n, q)]
    else:
        got, want = [_bitgen.poissons(handle, p)], [twin.poisson(p)]
    assert all(np.array_equal(a, b) for a, b in zip(got, want, strict=True))
    assert rng.bit_generator.state == twin.bit_generator.state


def test_each_generator_has_its_own_handle() -> None:
    """A handle points at one generator's state: a copy, or another generator, gets its own."""
    rng = np.random.default_rng(3)
    twin = copy.deepcopy(rng)
    handle = kernels.generator_handle(rng)
    assert kernels.generator_handle(rng) is handle
    assert not np.array_equal(kernels.generator_handle(twin), handle)
    kinds, n, p = np.full(5, BELOW), np.full(5, 1000), np.zeros(5)
    first = _draws(kernels.generator_handle(rng), kinds, n, p)
    assert np.array_equal(_draws(kernels.generator_handle(twin), kinds, n, p), first)  # twin untouched so far
    assert not np.array_equal(_draws(handle, kinds, n, p), first)  # rng moved on


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


def _bits(x: float) -> bytes:
    return np.float64(x).tobytes()


def test_the_recorders_means_are_numpys_means_bit_for_bit() -> None:
    """The kernels sum as numpy's pairwise summation does (8 accumulators, halves above 128): a numpy
    that summed otherwise would fail here, not silently move the committed results."""
    rng = np.random.default_rng(3)
    for n in [*range(1, 140), 255, 256, 257, 4097, 8191, 8192, 8193, 10_000, 100_003, 1_000_000]:
        x32 = (rng.random(n) * 10 ** rng.uniform(-3, 3, n)).astype(np.float32)
        got = kernels.crowd_means(x32, x32[::-1].copy(), x32 * 2, x32 + 1).tolist()
        want = [float(v.mean()) for v in (x32, x32[::-1], x32 * 2, x32 + 1)]
        assert [_bits(v) for v in got] == [_bits(v) for v in want], n
        x64 = rng.random(n) * 10 ** rng.uniform(-3, 3, n)
        acc = rng.random(n) < 0.6
        ghost_cut = 40
        subst, reply, resolution = (rng.integers(-1, 80, n) for _ in range(3))
        ghost = acc & (np.maximum(subst, reply) <= ghost_cut)
        counts, means = kernels.agency_outcomes(
            acc, ghost, resolution, ghost_cut, x64, x64[::-1].copy(), x64 * 3, x64 + 1, x64 / 7
        )
        assert counts.tolist() == [
            int(acc.sum()),
            int(ghost.sum()),
            int((acc & (resolution > ghost_cut)).sum()),
        ]
        want = [float(v.mean()) for v in (x64, x64[::-1], x64 * 3)]
        want += [float((x64 + 1)[acc].mean()), float((x64 / 7)[acc].mean())] if acc.any() else [np.nan, np.nan]
        assert [_bits(v) for v in means.tolist()] == [_bits(v) for v in want], n


def test_window_sums_are_numpys_row_sums_and_the_median_its_searchsorted() -> None:
    rng = np.random.default_rng(4)
    table = rng.random((28, 1200)) * 10 ** rng.uniform(-2, 4, (28, 1200))
    delays = rng.integers(0, 3, (1200, 15)) * (rng.random((1200, 15)) < 0.3)
    for lo, hi in [(1, 2), (1, 9), (5, 35), (400, 765), (1, 1096), (70, 71)]:
        sums, median = kernels.window_sums(table, lo, hi, delays)
        assert sums.tobytes() == table[:, lo:hi].sum(axis=1).tobytes(), (lo, hi)
        hist = delays[lo:hi].sum(axis=0)
        n = hist.sum()
        want = float(np.searchsorted(np.cumsum(hist), (n + 1) / 2)) if n else np.nan
        assert _bits(median) == _bits(want), (lo, hi)
    sums, median = kernels.window_sums(table, 3, 4, np.zeros_like(delays))
    assert np.isnan(median)


def test_top_posts_are_the_largest_posts() -> None:
    rng = np.random.default_rng(5)
    for n in [1, 2, 50, 999, 10_000]:
        posts = (rng.integers(0, 4, n) * rng.integers(0, 300, n)).astype(np.int32)
        for n_top in {1, max(1, n // 20), n}:
            for cutoff in (0, int(np.sort(posts)[-n_top]), int(posts.max()) + 1):
                candidates = posts[posts >= cutoff]
                total, least = kernels.top_posts(candidates, posts, n_top)
                heaviest = np.sort(posts)[n - n_top :]
                assert (int(total), int(least)) == (int(heaviest.sum()), int(heaviest.min())), (n, n_top, cutoff)


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
