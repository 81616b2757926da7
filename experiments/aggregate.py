"""Tidy tables from the run cache: runs, per-condition summaries, time series, contrasts.

95 % confidence intervals are Student-t intervals of the mean over
replicates: mean ± t(0.975, n-1) · sd / √n, with sd the sample standard
deviation (ddof=1) and n the replicates where the outcome is defined (an
outcome such as the dialogue ratio is undefined, NaN, when there were no
posts). Rows are always in plan order (condition, then replicate), never in
the order runs finished, so the tables do not depend on the launcher.
"""

from __future__ import annotations

import gzip
import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from experiments.cache import RunStore
from experiments.plan import Condition, Plan

CI_METHOD = (
    "95 % confidence intervals are Student-t intervals of the mean over replicates: "
    "mean ± t(0.975, n-1) · sd / √n (sd with ddof=1; n counts the replicates where the outcome is defined)."
)
NA_REP = "nan"


def t_quantile(n: np.ndarray | int) -> np.ndarray:
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore"):
        out = stats.t.ppf(0.975, np.where(n >= 2, n - 1, np.nan))
    return np.asarray(out, dtype=float)


def describe(x: np.ndarray) -> dict[str, np.ndarray]:
    """n, mean, sd, ci_low, ci_high along axis 0 (replicates), ignoring NaN."""
    x = np.asarray(x, dtype=float)
    ok = ~np.isnan(x)
    n = ok.sum(axis=0)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        total = np.where(ok, x, 0.0).sum(axis=0)
        mean = np.where(n > 0, total / np.maximum(n, 1), np.nan)
        dev = np.where(ok, x - mean, 0.0)
        sd = np.where(n >= 2, np.sqrt((dev * dev).sum(axis=0) / np.maximum(n - 1, 1)), np.nan)
        half = t_quantile(n) * sd / np.sqrt(np.maximum(n, 1))
    return {"n": n, "mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half}


def condition_columns(plan: Plan, cond: Condition) -> dict[str, Any]:
    named = {"name": cond.name} if plan.explicit else {}
    return {"condition": cond.index, **named, "regime": cond.regime, **{k: cond.values[k] for k in plan.swept}}


def runs_table(plan: Plan, store: RunStore) -> pd.DataFrame:
    rows = []
    for run in plan.runs:
        summary = store.summary(run.run_id)
        rows.append(
            {
                "experiment": plan.experiment.name,
                **condition_columns(plan, run.condition),
                "replicate": run.replicate,
                "seed": run.seed,
                "run_id": run.run_id,
                **summary,
            }
        )
    return pd.DataFrame(rows)


def outcome_columns(runs: pd.DataFrame, plan: Plan) -> list[str]:
    fixed = {"experiment", "condition", "name", "regime", "replicate", "seed", "run_id", *plan.swept}
    return [c for c in runs.columns if c not in fixed]


def summary_table(plan: Plan, runs: pd.DataFrame) -> pd.DataFrame:
    outcomes = outcome_columns(runs, plan)
    rows = []
    for cond in plan.conditions:
        block = runs[runs["condition"] == cond.index]
        d = describe(block[outcomes].to_numpy(dtype=float))
        for j, outcome in enumerate(outcomes):
            rows.append(
                {
                    "experiment": plan.experiment.name,
                    **condition_columns(plan, cond),
                    "outcome": outcome,
                    "n": int(d["n"][j]),
                    "mean": d["mean"][j],
                    "sd": d["sd"][j],
                    "ci_low": d["ci_low"][j],
                    "ci_high": d["ci_high"][j],
                }
            )
    return pd.DataFrame(rows)


def series_outcomes(plan: Plan, available: list[str]) -> list[str]:
    wanted = list(plan.experiment.outcomes)
    for fig in plan.experiment.figures:
        if fig.kind == "timeseries":
            wanted += fig.outcomes
    seen: list[str] = []
    for o in wanted:
        if o in available and o not in seen:
            seen.append(o)
    return seen


def timeseries_table(plan: Plan, store: RunStore) -> pd.DataFrame:
    """Per condition, day and outcome: n, mean and 95 % CI over replicates (long format)."""
    every = plan.experiment.timeseries_every
    frames = []
    for cond in plan.conditions:
        series = [store.timeseries(r.run_id) for r in plan.runs if r.condition.index == cond.index]
        days = series[0]["day"].to_numpy()
        keep = (days % every == 0) | (days == days.max()) | (every == 1)
        outcomes = series_outcomes(plan, [c for c in series[0].columns if c != "day"])
        for outcome in outcomes:
            stack = np.vstack([s[outcome].to_numpy(dtype=float) for s in series])
            d = describe(stack)
            frame = pd.DataFrame(
                {
                    "day": days[keep],
                    "outcome": outcome,
                    "n": d["n"][keep],
                    "mean": d["mean"][keep],
                    "ci_low": d["ci_low"][keep],
                    "ci_high": d["ci_high"][keep],
                }
            )
            for key, value in reversed(condition_columns(plan, cond).items()):
                frame.insert(0, key, value)
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def contrast_table(plan: Plan, runs: pd.DataFrame) -> pd.DataFrame:
    """Paired differences a - b (same seed, same swept values): each figure's contrast, each regime - baseline."""
    pairs: list[tuple[str, str]] = []
    for fig in plan.experiment.figures:
        if fig.contrast and tuple(fig.contrast) not in pairs:
            pairs.append((fig.contrast[0], fig.contrast[1]))
    base = plan.experiment.baseline
    for regime in plan.experiment.regimes if base else []:
        if regime != base and (regime, base) not in pairs:
            pairs.append((regime, base))
    if not pairs:
        return pd.DataFrame()
    outcomes = outcome_columns(runs, plan)
    keys = plan.swept
    rows = []
    for a, b in pairs:
        ca = [c for c in plan.conditions if c.regime == a]
        for cond_a in ca:
            cond_b = next(
                c for c in plan.conditions if c.regime == b and all(c.given[k] == cond_a.given[k] for k in keys)
            )
            xa = runs[runs["condition"] == cond_a.index].sort_values("replicate")
            xb = runs[runs["condition"] == cond_b.index].sort_values("replicate")
            diff = xa[outcomes].to_numpy(dtype=float) - xb[outcomes].to_numpy(dtype=float)
            d = describe(diff)
            for j, outcome in enumerate(outcomes):
                rows.append(
                    {
                        "experiment": plan.experiment.name,
                        "contrast": f"{a} - {b}",
                        "condition_a": cond_a.index,
                        "condition_b": cond_b.index,
                        **{k: cond_a.values[k] for k in keys},
                        "outcome": outcome,
                        "n": int(d["n"][j]),
                        "mean": d["mean"][j],
                        "sd": d["sd"][j],
                        "ci_low": d["ci_low"][j],
                        "ci_high": d["ci_high"][j],
                    }
                )
    return pd.DataFrame(rows)


def csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV with every float written in full (shortest repr that round-trips exactly)."""
    return df.to_csv(index=False, na_rep=NA_REP, lineterminator="\n").encode()


def csv_gz_bytes(df: pd.DataFrame) -> bytes:
    """Gzipped CSV with a fixed header timestamp, so equal tables give equal bytes."""
    return gzip.compress(csv_bytes(df), compresslevel=9, mtime=0)
