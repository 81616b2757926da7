"""Whole units of work from expected amounts, without bias."""

from __future__ import annotations

from sim import kernels


def stochastic_round(x: float, u: float) -> int:
    """floor(x + u) for x > 0, else 0: unbiased integer work units (u uniform in [0, 1)).

    The agencies' kernels round their work with the same compiled rule.
    """
    return int(kernels.stochastic_round(float(x), float(u)))
