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
from scipy.special import stdtrit  # t.ppf's own function, without scipy.stats' second of imports

from experiments.cache import RunStore
from experiments.plan import Condition, Plan

CI_METHOD = (
    "95 % confidence intervals are Student-t intervals of the mean over replicates: "
    "mean ± t(0.975, n-1) · sd / √n (sd with ddof=1; n counts the replicates where the outcome is defined)."
)
NA_REP = "nan"


def _ci(n: Any, mean: Any, sd: Any) -> tuple[Any, Any]:
    """The Student-t 95 % CI of the mean, mean ± t(0.975, n-1) · sd / √n (NaN for n < 2)."""
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore"):
        half = stdtrit(np.where(n >= 2, n - 1, np.nan), 0.975) * sd / np.sqrt(np.maximum(n, 1))
    return mean - half, mean + half


def describe(x: np.ndarray) -> dict[str, np.ndarray]:
    """n, mean, sd, ci_low, ci_high along axis 0 (replicates), ignoring NaN (numpy's nan-aware reductions)."""
    x = np.asarray(x, dtype=float)
    n = (~np.isnan(x)).sum(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean, sd = np.nanmean(x, axis=0), np.nanstd(x, axis=0, ddof=1)
    sd = np.where(n >= 2, sd, np.nan)
    low, high = _ci(n, mean, sd)
    return {"n": n, "mean": mean, "sd": sd, "ci_low": low, "ci_high": high}


def ci_table(frame: pd.DataFrame, by: str, outcomes: list[str]) -> pd.DataFrame:
    """Per value of `by` (sorted) and outcome: n, mean, sd and the 95 % CI (pandas groupby-agg, long format)."""
    agg = frame.groupby(by, sort=True)[outcomes].agg(["count", "mean", "std"]).stack(level=0, future_stack=True)
    agg = agg.rename_axis([by, "outcome"]).reset_index().rename(columns={"count": "n", "std": "sd"})
    low, high = _ci(agg["n"], agg["mean"], agg["sd"])
    return agg.assign(ci_low=low, ci_high=high)


def condition_columns(plan: Plan, cond: Condition) -> dict[str, Any]:
    named = {"name": cond.name} if plan.explicit else {}
    return {"condition": cond.index, **named, "regime": cond.regime, **{k: cond.values[k] for k in plan.swept}}


def runs_table(plan: Plan, store: RunStore) -> pd.DataFrame:
    rows = [
        {
            "experiment": plan.experiment.name,
            **condition_columns(plan, run.condition),
            "replicate": run.replicate,
            "seed": run.seed,
            "run_id": run.run_id,
            **store.summary(run.run_id),
        }
        for run in plan.runs
    ]
    return pd.DataFrame(rows)


def outcome_columns(runs: pd.DataFrame, plan: Plan) -> list[str]:
    fixed = {"experiment", "condition", "name", "regime", "replicate", "seed", "run_id", *plan.swept}
    return [c for c in runs.columns if c not in fixed]


def _keyed(keys: list[dict[str, Any]], by: str, table: pd.DataFrame) -> pd.DataFrame:
    """The key columns of each group (one dict per value of `by`, in order) before the statistics."""
    cols = ["outcome", "n", "mean", "sd", "ci_low", "ci_high"]
    return pd.DataFrame(keys).merge(table[[by, *cols]], on=by, how="right").reindex(columns=[*keys[0], *cols])


def summary_table(plan: Plan, runs: pd.DataFrame) -> pd.DataFrame:
    keys = [{"experiment": plan.experiment.name, **condition_columns(plan, c)} for c in plan.conditions]
    return _keyed(keys, "condition", ci_table(runs, "condition", outcome_columns(runs, plan)))


def timeseries_table(plan: Plan, store: RunStore) -> pd.DataFrame:
    """Per condition, day and outcome: n, mean and 95 % CI over replicates (long format)."""
    exp = plan.experiment
    wanted = [*exp.outcomes, *(o for f in exp.figures if f.kind == "timeseries" for o in f.outcomes)]
    frames = []
    for cond in plan.conditions:
        series = [store.timeseries(r.run_id, {"day", *wanted}) for r in plan.runs if r.condition.index == cond.index]
        days = series[0]["day"].to_numpy()
        keep = (days % exp.timeseries_every == 0) | (days == days.max())
        for outcome in dict.fromkeys(o for o in wanted if o in series[0].columns):
            d = describe(np.vstack([s[outcome].to_numpy(dtype=float) for s in series]))
            cis = {k: d[k] for k in ("n", "mean", "ci_low", "ci_high")}
            frames.append(pd.DataFrame({**condition_columns(plan, cond), "day": days, "outcome": outcome, **cis})[keep])
    return pd.concat(frames, ignore_index=True)


def contrast_table(plan: Plan, runs: pd.DataFrame) -> pd.DataFrame:
    """Paired differences a - b (same seed, same swept values): each figure's contrast, each regime - baseline."""
    exp = plan.experiment
    pairs = list(dict.fromkeys(tuple(f.contrast) for f in exp.figures if f.contrast))
    pairs += [
        (r, exp.baseline) for r in exp.regimes if exp.baseline and r != exp.baseline and (r, exp.baseline) not in pairs
    ]
    if not pairs:
        return pd.DataFrame()
    outcomes = outcome_columns(runs, plan)
    per = {c: block.sort_values("replicate")[outcomes].to_numpy(dtype=float) for c, block in runs.groupby("condition")}
    keys, diffs = [], []
    for a, b in pairs:
        for ca in (c for c in plan.conditions if c.regime == a):
            cb = next(
                c for c in plan.conditions if c.regime == b and all(c.given[k] == ca.given[k] for k in plan.swept)
            )
            diffs.append(pd.DataFrame(per[ca.index] - per[cb.index], columns=outcomes).assign(pair=len(keys)))
            keys.append(
                {
                    "experiment": exp.name,
                    "contrast": f"{a} - {b}",
                    "condition_a": ca.index,
                    "condition_b": cb.index,
                    **{k: ca.values[k] for k in plan.swept},
                    "pair": len(keys),
                }
            )
    return _keyed(keys, "pair", ci_table(pd.concat(diffs), "pair", outcomes)).drop(columns="pair")


def read_csv(source: Any) -> pd.DataFrame:
    """A table as csv_bytes wrote it, every float exactly (round trip: pandas 3's default), only `nan` as missing."""
    exact = {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}
    return pd.read_csv(source, keep_default_na=False, na_values=[NA_REP], **exact)


def csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV with every float written in full (shortest repr that round-trips exactly)."""
    return df.to_csv(index=False, na_rep=NA_REP, lineterminator="\n").encode()


def csv_gz_bytes(df: pd.DataFrame) -> bytes:
    """Gzipped CSV with a fixed header timestamp, so equal tables give equal bytes."""
    return gzip.compress(csv_bytes(df), compresslevel=9, mtime=0)
