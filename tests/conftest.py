"""Shared helpers: small towns that run in well under a second per year.

Towns follow the population rule (districts and leaders scale with the
citizens), and the seeds are not the ones the calibration used.
"""

from __future__ import annotations

import csv
import functools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim import run_simulation

REPO = Path(__file__).resolve().parent.parent  # the checkout: configs/, docs/, results/
SIZES = (2_000, 5_000)  # every lever and claim test holds at both
SEEDS = (7, 8, 9)


def read_csv(path: Path) -> list[dict[str, str]]:
    """A CSV file as rows of strings: what a user's spreadsheet sees, no type guessing."""
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def experiments(*args: str, cwd: Path = REPO, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`python -m experiments <args>` in a fresh process, output captured (the commands users type)."""
    return subprocess.run(
        [sys.executable, "-m", "experiments", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )


@functools.cache
def _summary(overrides: tuple[str, ...]) -> dict[str, float]:
    return run_simulation(overrides=list(overrides)).summary


def town_runs(*overrides: str, days: int = 400, seeds: tuple[int, ...] = SEEDS, size: int = SIZES[0]) -> list[dict]:
    """Summaries of a town, one per seed (cached per process)."""
    return [_summary((f"population.n_citizens={size}", f"days={days}", f"seed={s}", *overrides)) for s in seeds]


def town_mean(*overrides: str, days: int = 400, seeds: tuple[int, ...] = SEEDS, size: int = SIZES[0]) -> dict:
    """Mean summary over a few seeds of a town (NaN-free outcomes averaged plainly)."""
    runs = town_runs(*overrides, days=days, seeds=seeds, size=size)
    return {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}


@pytest.fixture(params=SIZES, ids=lambda n: f"{n}citizens")
def size(request) -> int:
    return request.param
