"""Sampled designs: the points an experiment's `design` asks for, as rows of parameter values.

A design only says which conditions to run; `experiments.plan` turns each row
into a condition, and `experiments.sensitivity` analyses the runs. Morris
(`SALib.sample.morris.sample`, seeded): r trajectories of k + 1 points on a grid
of `levels` levels over the stated ranges.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from experiments.spec import DesignSpec


def problem(design: DesignSpec) -> dict[str, Any]:
    """The design as SALib's problem dict: names and [low, high] bounds, in the file's order."""
    keys = list(design.parameters)
    return {
        "num_vars": len(keys),
        "names": keys,
        "bounds": [[float(lo), float(hi)] for lo, hi in design.parameters.values()],
    }


def design_matrix(design: DesignSpec) -> np.ndarray:
    """The Morris sample: (k + 1) * r rows, one column per parameter (reproducible from design.seed)."""
    from SALib.sample import morris as morris_sample

    return morris_sample.sample(problem(design), N=design.trajectories, num_levels=design.levels, seed=design.seed)
