"""Shared helpers: small towns that run in well under a second per year."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from sim import run_simulation

TOWN = ("population.n_citizens=2000", "population.n_districts=4", "population.n_leaders=8")
SEEDS = (0, 1, 2)


@functools.cache
def _summary(overrides: tuple[str, ...]) -> dict[str, float]:
    return run_simulation(overrides=list(overrides)).summary


def town_mean(*overrides: str, days: int = 400, seeds: tuple[int, ...] = SEEDS) -> dict[str, float]:
    """Mean summary over a few seeds of a 2,000-citizen town (cached per process)."""
    runs = [_summary((*TOWN, f"days={days}", f"seed={s}", *overrides)) for s in seeds]
    return {k: float(np.nanmean([r[k] for r in runs])) for k in runs[0]}


@pytest.fixture(scope="session")
def town():
    return town_mean
