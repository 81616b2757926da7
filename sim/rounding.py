"""Whole units of work from expected amounts, without bias."""

from __future__ import annotations

import numpy as np


def stochastic_round(x: np.ndarray | float, u: np.ndarray | float) -> np.ndarray:
    """floor(x + u) for x > 0, else 0: unbiased integer work units (u uniform in [0, 1))."""
    return np.where(np.asarray(x) > 0, np.floor(np.asarray(x) + u), 0).astype(np.int64)
