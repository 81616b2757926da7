"""Calibration: rank a sweep's grid cells by their distance to the calibration targets.

An experiment with a `calibration` block sweeps the calibrated parameters over
a stated grid (the cartesian product of `sweep`). For each cell the replicate
mean of every target outcome is compared with the public figure, in units of
the figure's accepted half-width (the same width as the pattern band):

    distance = sum over targets of ((mean - figure) / width) ** 2

The cell with the smallest distance is the calibrated parameter set, and the
model's defaults in sim/config.py are set to it (tests/test_calibration.py
checks that they are). Only targets enter: the patterns experiment's
predictions are never read here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from experiments.aggregate import csv_bytes, describe
from experiments.labels import label
from experiments.report import Extra, md_table, num

if TYPE_CHECKING:
    from experiments.plan import Plan

TABLE = "calibration.csv"


def ranking(plan: Plan, runs: pd.DataFrame) -> pd.DataFrame:
    """One row per grid cell: the swept values, each target's mean, the distance, the rank."""
    targets = plan.experiment.calibration.targets
    keys = list(plan.swept)
    rows = []
    for cond in plan.conditions:
        block = runs[runs["condition"] == cond.index]
        row: dict = {"condition": cond.index, **{k: cond.values[k] for k in keys}}
        distance = 0.0
        for t in targets:
            mean = float(block[t.outcome].mean())
            row[t.outcome] = mean
            distance += ((mean - t.figure) / t.width) ** 2
        row["distance"] = distance
        rows.append(row)
    table = pd.DataFrame(rows).sort_values(["distance", "condition"], kind="stable").reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table


def analyse(plan: Plan, runs: pd.DataFrame) -> Extra:
    exp = plan.experiment
    table = ranking(plan, runs)
    best = table.iloc[0]
    keys = list(plan.swept)
    targets = exp.calibration.targets
    values = ", ".join(f"`{k}={best[k]:g}`" for k in keys)
    closest = [
        [str(r["rank"]), *(f"{r[k]:g}" for k in keys), *(num(r[t.outcome]) for t in targets), f"{r['distance']:.2f}"]
        for _, r in table.head(10).iterrows()
    ]
    target_rows = [[f"`{t.outcome}`", f"{t.figure:g}", f"{t.width:g}"] for t in targets]
    md = [
        "## Calibration",
        "",
        "Distance of each grid cell to the calibration targets: the sum over targets of ((mean - figure) / width)², "
        f"with the replicate mean over {exp.replicates} replicates. Only calibration targets enter; the patterns "
        "experiment's predictions are not used.",
        "",
        *md_table(["target outcome", "public figure", "half-width"], target_rows, "lr"),
        "",
        f"**Calibrated values (rank 1, distance {best['distance']:.2f}):** {values}. The model's defaults are set "
        "to them (`sim/config.py`; a test checks it).",
        "",
        "The ten closest cells:",
        "",
        *md_table(["rank", *(f"`{k}`" for k in keys), *(t.outcome for t in targets), "distance"], closest, "r"),
        "",
    ]
    cell = runs[runs["condition"] == best["condition"]]
    cis = {t.outcome: describe(cell[[t.outcome]].to_numpy(dtype=float)) for t in targets}
    fit = "; ".join(
        f"{label(t.outcome)} {num(best[t.outcome])} [{num(cis[t.outcome]['ci_low'][0])}, "
        f"{num(cis[t.outcome]['ci_high'][0])}] against {t.figure:g} ± {t.width:g}"
        for t in targets
    )
    answer = [
        f"**Calibrated values:** {values}, the closest of {len(table)} grid cells to the targets (distance "
        f"{best['distance']:.2f} in units of each target's half-width): {fit}."
    ]
    console = f"Calibration: rank 1 of {len(table)} cells, distance {best['distance']:.2f}: " + ", ".join(
        f"{k}={best[k]:g}" for k in keys
    )
    notes = [(TABLE, "every grid cell ranked by its distance to the calibration targets")]
    return Extra(files={TABLE: csv_bytes(table)}, markdown=md, console=console, file_notes=notes, answer=answer)
