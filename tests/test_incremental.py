"""State kept current from the day's changes equals the same state recomputed from scratch.

These structures exist for speed only (ODD, "Agents as views on column tables"): a
difference from the direct computation would be a silent change of the model.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim.network
from sim.network import ActiveNeighbours, complete_ties, district_ties, ties_from_edges
from sim.outcomes import TopShare


def _direct_top_share(posts: np.ndarray, top: float = 0.05) -> float:
    total = int(posts.sum())
    if total == 0:
        return 0.0
    n_top = int(np.ceil(top * len(posts)))
    return float(np.sort(posts)[len(posts) - n_top :].sum() / total)


def test_active_neighbours_equal_the_sparse_product_every_day() -> None:
    rng = np.random.default_rng(5)
    n = 3_000
    district = np.repeat(np.arange(3), n // 3)
    ties = district_ties(rng, np.array([0, 1000, 2000]), np.array([1000, 1000, 1000]), district, 6.0)
    tracker = ActiveNeighbours(ties)
    last_active = np.full(n, -(10**6))
    for day in range(1, 120):
        active = last_active > day - 30
        expected = ties.count_active(active).astype(np.float32) * ties.inverse_degree
        assert np.array_equal(tracker.fraction(active), expected)
        # bursts and lulls: some days many citizens start, some days almost none
        rate = 0.2 if day % 17 == 0 else 0.01
        last_active[rng.random(n) < rate] = day


def _one_sort_csr(n: int, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The CSR as one stable sort of all tie ends (u->v, then v->u) by their near end."""
    keep = u != v
    src = np.concatenate([u[keep], v[keep]])
    dst = np.concatenate([v[keep], u[keep]])
    indices = dst[np.argsort(src, kind="stable")]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(src, minlength=n))])
    return indptr, indices


@pytest.mark.parametrize("block", [1, 7, 1000, 1 << 20])
def test_csr_built_by_blocks_equals_one_stable_sort_of_all_tie_ends(
    monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    monkeypatch.setattr(sim.network, "BLOCK_TIE_ENDS", block)
    rng = np.random.default_rng(11)
    n = 2_000
    u = rng.integers(0, n, 5_000)
    v = np.where(rng.random(5_000) < 0.05, u, rng.integers(0, n, 5_000))  # some self-loops, some repeats
    ties = ties_from_edges(n, u, v)
    indptr, indices = _one_sort_csr(n, u, v)
    assert np.array_equal(ties.indptr, indptr) and np.array_equal(ties.indices, indices)
    assert ties.indices.dtype == np.int32 and ties.indptr.dtype == np.int32
    full = complete_ties(40)
    assert np.array_equal(full.count_active(np.ones(40, dtype=bool)), np.full(40, 39))


def test_district_ties_drawn_by_chunks_equal_one_draw_of_all_edges(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sim.network, "CHUNK", 7)
    monkeypatch.setattr(sim.network, "BLOCK_TIE_ENDS", 50)
    start, size = np.array([0, 900, 1000]), np.array([900, 100, 1000])
    district = np.repeat(np.arange(3), size)
    ties = district_ties(np.random.default_rng(2), start, size, district, 5.0)
    rng = np.random.default_rng(2)  # the plain formula: every edge drawn at once
    m = int(round(len(district) * 5.0 / 2))
    u = rng.integers(0, len(district), size=m, dtype=np.int64).astype(np.int32)
    d = district[u]
    v = (start[d] + (rng.random(m) * size[d]).astype(np.int64)).astype(np.int32)
    indptr, indices = _one_sort_csr(len(district), u, v)
    assert np.array_equal(ties.indptr, indptr) and np.array_equal(ties.indices, indices)


def test_top_share_equals_a_full_sort_as_posts_grow_and_the_crowd_comes_online() -> None:
    rng = np.random.default_rng(9)
    n = 5_000
    posts = np.zeros(n, dtype=np.int32)
    connected = rng.random(n) < 0.6
    share = TopShare()
    for day in range(200):
        writers = connected & (rng.random(n) < 0.05)
        posts[writers] += 1 + rng.poisson(rng.lognormal(0, 2, writers.sum())).astype(np.int32)
        if day in (50, 120):  # inclusion: more citizens online, so the top group grows
            connected |= rng.random(n) < 0.2
        assert share(posts, int(connected.sum())) == _direct_top_share(posts[connected])


def test_unfollowed_slot_counts_equal_a_recount_every_day() -> None:
    from sim.api import load_config
    from sim.model import GovSimModel

    # heavy churn and inclusion, so that slots are unfollowed, refollowed and new citizens come online
    model = GovSimModel(
        load_config(["population=classroom", "policy=comprehensive", "seed=4", "citizen.follow_churn=0.05"])
    )
    cit = model.citizens
    pad = cit.n_agencies
    for _ in range(150):
        model.step()
        recount = np.bincount(cit.home_agency[cit.follows_agency == pad], minlength=pad)
        assert np.array_equal(cit.unfollowed, recount)
    assert cit.unfollowed.sum() > 0
