"""Citizen social ties as a compressed sparse row (CSR) structure.

A million citizens with a handful of ties each do not fit in networkx; a CSR
matrix (int32 indices, one-byte ones as data) costs ~5 bytes per tie end, and
counting every citizen's active neighbours is one sparse matrix-vector
product (scipy's compiled loop: a third of numpy's gather + reduceat).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class Ties:
    """Undirected ties: neighbours of citizen i are indices[indptr[i]:indptr[i+1]]."""

    matrix: sp.csr_matrix  # adjacency, small-int ones as data

    @property
    def n(self) -> int:
        return self.matrix.shape[0]

    @property
    def indptr(self) -> np.ndarray:
        return self.matrix.indptr

    @property
    def indices(self) -> np.ndarray:
        return self.matrix.indices

    @property
    def degree(self) -> np.ndarray:
        return np.diff(self.indptr)

    def count_active(self, active: np.ndarray) -> np.ndarray:
        """Number of active neighbours of every citizen (one product over every tie)."""
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

    A day touches O(changed x degree) ties instead of every tie; the counts are
    integers, so they equal `Ties.count_active` exactly.
    """

    def __init__(self, ties: Ties) -> None:
        self.ties = ties
        self.active = np.zeros(ties.n, dtype=bool)
        self.count = np.zeros(ties.n, dtype=np.int32)

    def fraction(self, active: np.ndarray) -> np.ndarray:
        """Share of each citizen's ties that are active today (0 for the isolated), float32."""
        changed = np.flatnonzero(active != self.active)
        if len(changed):
            neighbour, pos = self.ties.neighbours(changed)
            step = np.where(active[changed], 1, -1).astype(np.int32)
            np.add.at(self.count, neighbour, step[pos])
            self.active = active
        return self.count.astype(np.float32) * self.ties.inverse_degree


def ties_from_edges(n: int, u: np.ndarray, v: np.ndarray) -> Ties:
    """Symmetric CSR from an undirected edge list (self-loops dropped)."""
    keep = u != v
    src = np.concatenate([u[keep], v[keep]]).astype(np.int32, copy=False)
    dst = np.concatenate([v[keep], u[keep]]).astype(np.int32, copy=False)
    order = np.argsort(src, kind="stable")
    del src
    indices = dst[order]
    del dst, order
    indptr = np.zeros(n + 1, dtype=np.int64 if len(indices) >= 2**31 else np.int32)
    np.cumsum(np.bincount(indices, minlength=n), out=indptr[1:])  # symmetric: in-degree = degree
    # one-byte counts overflow past 127 active neighbours: widen only when needed
    wide = len(indices) and int(np.diff(indptr).max()) > np.iinfo(np.int8).max
    data = np.ones(len(indices), dtype=np.int32 if wide else np.int8)
    return Ties(sp.csr_matrix((data, indices, indptr), shape=(n, n)))


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
    v = (district_start[d] + (rng.random(m) * district_size[d]).astype(np.int64)).astype(np.int32)
    return ties_from_edges(n, u, v)


def complete_ties(n: int) -> Ties:
    """Everyone tied to everyone else (Granovetter's classic setting)."""
    u, v = np.triu_indices(n, k=1)
    return ties_from_edges(n, u, v)
