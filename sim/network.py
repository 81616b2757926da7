"""Citizen social ties as a compressed sparse row (CSR) structure.

A million citizens with a handful of ties each do not fit in networkx; the
CSR arrays (int32 row pointers and neighbour ids) cost 4 bytes per tie end
and 4 per citizen. The model keeps active-tie counts current from the day's
changes (`ActiveNeighbours`); `Ties.count_active`, the same counts recomputed
from scratch as one sparse matrix-vector product, is the check.

The CSR is built without sorting all tie ends at once (an int64 order of 6 M
ends at a million citizens was the set-up's memory peak): rows are filled
block by block, each block a stable sort of the few tie ends it holds, which
is exactly the order of one stable sort of them all.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

BLOCK_TIE_ENDS = 1 << 19  # tie ends sorted at once while building the CSR: bounds its temporaries
CHUNK = 1 << 18  # edges per chunk of the uniform draws and their arithmetic (no edge-long floats)


@dataclass(frozen=True)
class Ties:
    """Undirected ties: neighbours of citizen i are indices[indptr[i]:indptr[i+1]]."""

    indptr: np.ndarray
    indices: np.ndarray  # int32

    @property
    def n(self) -> int:
        return len(self.indptr) - 1

    @property
    def matrix(self) -> sp.csr_matrix:
        """Adjacency as a scipy CSR matrix of small-int ones (built on demand: only checks use it)."""
        # one-byte counts overflow past 127 active neighbours: widen only when needed
        wide = len(self.indices) and int(self.degree.max()) > np.iinfo(np.int8).max
        data = np.ones(len(self.indices), dtype=np.int32 if wide else np.int8)
        return sp.csr_matrix((data, self.indices, self.indptr), shape=(self.n, self.n))

    @property
    def degree(self) -> np.ndarray:
        return np.diff(self.indptr)

    def count_active(self, active: np.ndarray) -> np.ndarray:
        """Number of active neighbours of every citizen (one product over every tie), from scratch."""
        return self.matrix @ active.view(np.int8)

    def neighbours(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Neighbours of `rows`, concatenated, and for each the position of its row in `rows`."""
        start = self.indptr[rows]
        size = self.indptr[rows + 1] - start
        pos = np.repeat(np.arange(len(rows)), size)
        offset = np.arange(len(pos)) - np.repeat(np.cumsum(size) - size, size) + start[pos]
        return self.indices[offset], pos

    @functools.cached_property
    def inverse_degree(self) -> np.ndarray:
        return (1.0 / np.maximum(self.degree, 1)).astype(np.float32)


class ActiveNeighbours:
    """Active neighbours of every citizen, kept current from the citizens whose activity changed.

    The participation kernel (`sim.kernels.stimulus_posting`) updates them each day: it
    touches O(changed x degree) ties instead of every tie; the counts are integers, so
    they equal `Ties.count_active` exactly.
    """

    def __init__(self, ties: Ties) -> None:
        self.ties = ties
        self.active = np.zeros(ties.n, dtype=bool)
        # at most the degree: narrow, as the participation kernel reads every count every day
        narrow = len(ties.indices) == 0 or int(ties.degree.max()) <= np.iinfo(np.int16).max
        self.count = np.zeros(ties.n, dtype=np.int16 if narrow else np.int32)


def ties_from_edges(n: int, u: np.ndarray, v: np.ndarray) -> Ties:
    """Symmetric CSR from an undirected edge list (self-loops dropped).

    Row i lists the far ends of i's edges as one stable sort of the tie ends
    (u->v for every edge, then v->u) by their near end would: edge order.
    Rows are filled in blocks of about BLOCK_TIE_ENDS tie ends, each block one
    stable sort of its own ends (the same order, a fraction of the memory).
    """
    u, v = np.asarray(u), np.asarray(v)
    loop = u == v
    degree = np.bincount(u, minlength=n)
    degree += np.bincount(v, minlength=n)
    if loop.any():
        degree -= 2 * np.bincount(u[loop], minlength=n)
    nnz = int(degree.sum())
    indptr = np.zeros(n + 1, dtype=np.int64 if nnz >= 2**31 else np.int32)
    np.cumsum(degree, out=indptr[1:])
    del degree
    indices = np.empty(nnz, dtype=np.int32)
    blocks = max(1, -(-nnz // BLOCK_TIE_ENDS))
    rows = -(-n // blocks) if n else 1
    block_type = np.int16 if blocks < np.iinfo(np.int16).max else np.int32
    # the block of each tie end's row; self-loops in none
    block_u = (u // rows).astype(block_type)
    block_v = (v // rows).astype(block_type)
    block_u[loop] = -1
    block_v[loop] = -1
    del loop
    for b in range(blocks):
        in_u, in_v = block_u == b, block_v == b  # one byte an edge (int64 positions would be eight)
        src = np.concatenate([u[in_u], v[in_v]]).astype(np.int32, copy=False)
        dst = np.concatenate([v[in_u], u[in_v]]).astype(np.int32, copy=False)
        del in_u, in_v
        lo, hi = int(indptr[min(b * rows, n)]), int(indptr[min((b + 1) * rows, n)])
        indices[lo:hi] = dst[np.argsort(src, kind="stable")]
    return Ties(indptr, indices)


def district_ties(
    rng: np.random.Generator,
    district_start: np.ndarray,
    district_size: np.ndarray,
    district: np.ndarray,
    mean_degree: float,
) -> Ties:
    """Random ties inside each district (homophily of place), mean degree ~ mean_degree.

    Citizens are numbered so that district d holds ids district_start[d] ..
    district_start[d] + district_size[d] - 1; a tie joins a uniformly drawn
    citizen to a uniformly drawn neighbour of the same district.
    """
    n = len(district)
    m = int(round(n * mean_degree / 2))
    u = rng.integers(0, n, size=m, dtype=np.int64).astype(np.int32)
    d = district[u]
    # v = start + floor(uniform x size) of u's district: the float product in place, chunk by chunk
    # (uniform draws one at a time from the bit generator: drawn by chunks they are the same numbers)
    size = np.asarray(district_size).astype(np.float64)  # the int x float product converts the int so
    v = np.empty(m, dtype=np.int32)
    for lo in range(0, m, CHUNK):
        x = rng.random(min(CHUNK, m - lo))
        x *= size[d[lo : lo + CHUNK]]
        v[lo : lo + CHUNK] = x  # truncation of values in [0, size): as int64, then int32
    v += np.asarray(district_start).astype(np.int32)[d]
    del d
    return ties_from_edges(n, u, v)


def complete_ties(n: int) -> Ties:
    """Everyone tied to everyone else (Granovetter's classic setting)."""
    u, v = np.triu_indices(n, k=1)
    return ties_from_edges(n, u, v)
