"""Reference mathematics for the docking tests (tests/test_docking.py), numpy only.

- Bass diffusion: the deterministic discrete recursion
  N(t+1) = N(t) + (p + q N(t)/M)(M - N(t)), and the exact distribution of its
  finite-population stochastic form, in which each of the M - N(t)
  non-adopters adopts on day t with probability h(N(t)) = p + q N(t)/M, so
  that N(t+1) - N(t) | N(t) ~ Binomial(M - N(t), h(N(t))) and the recursion
  holds exactly in conditional expectation.
- A discrete-time queue with Poisson(lam) arrivals per day and up to c
  services per day (arrivals join, then the day's service), end-of-day
  backlog Q(t+1) = max(Q(t) + A(t) - c, 0): its exact stationary
  distribution, and the asymptotic variance of a time average of Q (for
  confidence intervals of a simulated long-run mean).
"""

from __future__ import annotations

import numpy as np


def bass_recursion(p: float, q: float, m: int, days: int, n0: float = 0.0) -> np.ndarray:
    """Deterministic discrete Bass curve N(0..days) (the mean-field recursion)."""
    n = np.empty(days + 1)
    n[0] = n0
    for t in range(days):
        n[t + 1] = n[t] + (p + q * n[t] / m) * (m - n[t])
    return n


def bass_day_matrix(p: float, q: float, m: int, sequential: bool = False) -> np.ndarray:
    """One-day transition matrix T[N, N'] of the stochastic Bass process on 0..m adopters.

    Each non-adopter at the start of the day is visited once. With
    sequential=False (the Bass recursion) every one adopts with h(N) computed
    from the start-of-day count N: a Binomial(m - N, h(N)) increment. With
    sequential=True each one reads the count as updated by the adoptions
    already made that day (an in-place, Gauss-Seidel update), which is NOT
    the Bass recursion; it is here to quantify that alternative.
    """
    size = m + 1
    counts = np.arange(size)
    rows = np.eye(size)  # row N: distribution of the count, starting from N
    remaining = m - counts  # non-adopters still to visit, per starting row
    start_h = np.minimum(p + q * counts / m, 1.0)
    for step in range(m):
        todo = (remaining > step)[:, None]
        h = np.minimum(p + q * counts / m, 1.0)[None, :] if sequential else start_h[:, None]
        moved = rows * h
        nxt = rows - moved
        nxt[:, 1:] += moved[:, :-1]
        rows = np.where(todo, nxt, rows)
    return rows


def bass_moments(
    p: float, q: float, m: int, days: int, n0: int = 0, sequential: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Exact mean and variance of the adopter count N(0..days) of the stochastic Bass process."""
    t_mat = bass_day_matrix(p, q, m, sequential)
    dist = np.zeros(m + 1)
    dist[n0] = 1.0
    k = np.arange(m + 1, dtype=float)
    mean, var = [float(n0)], [0.0]
    for _ in range(days):
        dist = dist @ t_mat
        mu = float(dist @ k)
        mean.append(mu)
        var.append(max(float(dist @ k**2) - mu * mu, 0.0))
    return np.array(mean), np.array(var)


def poisson_pmf(lam: float, kmax: int) -> np.ndarray:
    """P(A = 0..kmax) for A ~ Poisson(lam), by the stable ratio recursion."""
    pmf = np.empty(kmax + 1)
    pmf[0] = np.exp(-lam)
    for k in range(1, kmax + 1):
        pmf[k] = pmf[k - 1] * lam / k
    return pmf


def queue_matrix(lam: float, c: int, levels: int) -> np.ndarray:
    """Transition matrix of Q(t+1) = max(Q(t) + A(t) - c, 0), A ~ Poisson(lam), truncated at `levels`.

    Mass beyond the last level is folded onto it; choose `levels` so the
    stationary tail there is negligible (queue_stationary checks it).
    """
    amax = int(lam + 12 * np.sqrt(lam) + 30)
    arrivals = poisson_pmf(lam, amax)
    arrivals[-1] += max(0.0, 1.0 - arrivals.sum())
    size = levels + 1
    p_mat = np.zeros((size, size))
    for qlen in range(size):
        nxt = np.minimum(np.maximum(qlen + np.arange(amax + 1) - c, 0), levels)
        np.add.at(p_mat[qlen], nxt, arrivals)
    return p_mat


def _stationary(p_mat: np.ndarray) -> np.ndarray:
    size = len(p_mat)
    # pi (P - I) = 0 with sum(pi) = 1: replace one equation by the normalisation
    a = (p_mat - np.eye(size)).T
    a[-1, :] = 1.0
    b = np.zeros(size)
    b[-1] = 1.0
    pi = np.clip(np.linalg.solve(a, b), 0.0, None)
    pi /= pi.sum()
    if pi[-20:].sum() > 1e-12:
        raise ValueError("truncation too low for this load: raise `levels`")
    return pi


def queue_stationary(lam: float, c: int, levels: int = 250) -> np.ndarray:
    """Stationary distribution of the end-of-day backlog on 0..levels (requires lam < c)."""
    if not lam < c:
        raise ValueError("unstable queue: need lam < c")
    return _stationary(queue_matrix(lam, c, levels))


def queue_mean_and_time_average_variance(lam: float, c: int, levels: int = 250) -> tuple[float, float]:
    """E[Q] under stationarity and the asymptotic variance sigma^2 of a time average.

    sigma^2 = lim T Var((1/T) sum_t Q(t)) = 2 pi[(f - Ef) g] - Var_pi(f), where
    g = sum_k P^k (f - Ef) solves the Poisson equation (I - P + 1 pi) g = f - Ef.
    """
    if not lam < c:
        raise ValueError("unstable queue: need lam < c")
    p_mat = queue_matrix(lam, c, levels)
    pi = _stationary(p_mat)
    f = np.arange(levels + 1, dtype=float)
    mean = float(pi @ f)
    centred = f - mean
    size = levels + 1
    g = np.linalg.solve(np.eye(size) - p_mat + np.outer(np.ones(size), pi), centred)
    sigma2 = 2.0 * float(pi @ (centred * g)) - float(pi @ centred**2)
    return mean, sigma2


def single_server_mean_backlog(lam: float) -> float:
    """Closed form for c = 1: E[Q] = lam^2 / (2 (1 - lam)) (end-of-day backlog, Poisson arrivals).

    Write Q' = Q + A - 1 + U with U = 1{Q + A = 0}; stationarity gives
    E[U] = 1 - lam, and squaring (U (Q + A - 1) = -U) gives
    E[Q] = (Var A + lam^2 - lam) / (2 (1 - lam)) = lam^2 / (2 (1 - lam)) for
    Poisson arrivals (Var A = lam). By Little's law the mean wait in whole
    days is E[Q] / lam = lam / (2 (1 - lam)), the M/D/1 queueing delay.
    (M/M/1, with exponential service, would give twice as much.)
    """
    return lam**2 / (2.0 * (1.0 - lam))
