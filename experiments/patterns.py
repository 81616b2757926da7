"""Pattern-oriented validation: an experiment's `patterns` checked against its runs.

Each pattern (`patterns:` in the experiment file) has one or more checks. A
check's measure is a condition's outcome, `quota:answer_rate`, the value of
a time-series outcome on a given day, `quota:connected_share@day1`, or the
difference of two such terms, `quota:active_share - quota_no_audit:active_share`.
A measure is computed per replicate (differences are paired by seed: every
condition runs with the same seeds), then summarised by its mean and Student-t
95 % confidence interval over the replicates, exactly as `summary.csv`.

Rule (bounds included; an open bound is null):
- a two-sided band is the public figure with the source's own uncertainty: the
  check passes when the model's mean lies in it (the model agrees with the
  figure within the source's uncertainty); `ci_inside` also says whether the
  whole 95 % CI does, a stricter grade that more replicates can reach;
- a one-sided band is a direction (a sign, a bound): the check passes when the
  whole 95 % CI lies beyond the bound, so the direction is shown, not just
  suggested by a noisy mean.
A pattern passes when all its targets and predictions pass (inputs are reported only).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from experiments.aggregate import csv_bytes, describe
from experiments.figures import plt, png
from experiments.report import Extra, md_table, num
from experiments.spec import CheckSpec, Term, parse_measure

if TYPE_CHECKING:
    from experiments.cache import RunStore
    from experiments.plan import Plan

TABLE = "patterns.csv"
CHART = "patterns.png"
KIND_HEADINGS = {
    "input": "Inputs (read from a parameter: reported, not evidence)",
    "target": "Calibration targets (used to choose parameter values: results/calibration_agencies/, "
    "results/calibration_citizens/)",
    "prediction": "Independent predictions (not used in calibration)",
}
RULE = (
    "A check with a two-sided band (a public figure with its source's uncertainty) passes when the model's mean "
    "lies in the band; a check with a one-sided band (a direction) passes when the whole 95 % confidence interval "
    "of the mean over the replicates lies beyond the bound; a pattern passes when all its targets and predictions "
    "pass."
)


def term_values(plan: Plan, store: RunStore, runs: pd.DataFrame, term: Term) -> np.ndarray:
    """The term's value in each replicate (in replicate order) of its condition."""
    cond = next(c for c in plan.conditions if c.name == term.condition)
    if term.day is None:
        block = runs[runs["condition"] == cond.index].sort_values("replicate")
        return block[term.outcome].to_numpy(dtype=float)
    out = []
    for run in sorted((r for r in plan.runs if r.condition.index == cond.index), key=lambda r: r.replicate):
        ts = store.timeseries(run.run_id)
        row = ts[ts["day"] == term.day]
        out.append(float(row[term.outcome].iloc[0]) if len(row) else float("nan"))
    return np.asarray(out, dtype=float)


def band_text(band: list[float | None]) -> str:
    lo, hi = band
    if lo is None:
        return f"≤ {hi:g}"
    if hi is None:
        return f"≥ {lo:g}"
    return f"{lo:g} – {hi:g}"


def inside(band: list[float | None], low: float, high: float) -> bool:
    """Whether [low, high] lies inside the band (NaN never does)."""
    lo, hi = band
    if math.isnan(low) or math.isnan(high):
        return False
    return (lo is None or low >= lo) and (hi is None or high <= hi)


def passes(check: CheckSpec, mean: float, ci_low: float, ci_high: float) -> bool:
    """Two-sided band: the mean lies in it. One-sided band: the whole CI lies beyond the bound."""
    if None not in check.band:
        return inside(check.band, mean, mean)
    return inside(check.band, ci_low, ci_high)


def pattern_table(plan: Plan, store: RunStore, runs: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for pattern in plan.experiment.patterns:
        first = len(rows)
        for check in pattern.checks:
            total = sum(sign * term_values(plan, store, runs, term) for sign, term in parse_measure(check.measure))
            d = {k: v[0].item() for k, v in describe(total[:, None]).items()}  # n, mean, sd, ci_low, ci_high
            lo, hi = check.band
            rows.append(
                {
                    "pattern": pattern.id,
                    "claim": pattern.claim.strip(),
                    "public_figure": pattern.figure.strip(),
                    "source": pattern.source.strip(),
                    "measure": check.measure,
                    "kind": check.kind,
                    "check_figure": (check.figure or pattern.figure).strip(),
                    **d,
                    "band_low": float("nan") if lo is None else float(lo),
                    "band_high": float("nan") if hi is None else float(hi),
                    "band": band_text(check.band),
                    "check": "pass" if passes(check, d["mean"], d["ci_low"], d["ci_high"]) else "fail",
                    "ci_inside": inside(check.band, d["ci_low"], d["ci_high"]),
                    "pattern_result": "",
                    "reason": pattern.reason.strip(),
                }
            )
        # inputs are reported, not evidence: a pattern passes on its targets and predictions
        evidence = [r for r in rows[first:] if r["kind"] != "input"]
        result = "input" if not evidence else "pass" if all(r["check"] == "pass" for r in evidence) else "fail"
        for r in rows[first:]:
            r["pattern_result"] = result
    return pd.DataFrame(rows)


def chart(table: pd.DataFrame, title: str) -> bytes:
    """One strip per check: the accepted band (shaded) and the model's mean with its 95 % CI."""
    n = len(table)
    fig, axes = plt.subplots(n, 1, figsize=(8.5, 0.62 * n + 1.0), squeeze=False)
    for ax, (_, r) in zip(axes[:, 0], table.iterrows(), strict=True):
        lo, hi = r["band_low"], r["band_high"]
        points = [v for v in (r["ci_low"], r["ci_high"], r["mean"], lo, hi) if np.isfinite(v)]
        left, right = min(points), max(points)
        pad = max(right - left, abs(right) * 0.1, 1e-3) * 0.35
        xmin, xmax = left - pad, right + pad
        ax.axvspan(
            lo if np.isfinite(lo) else xmin, hi if np.isfinite(hi) else xmax, color="tab:green", alpha=0.18, lw=0
        )
        color = "tab:blue" if r["check"] == "pass" else "tab:red"
        if np.isfinite(r["mean"]):
            ax.errorbar(
                [r["mean"]],
                [0],
                xerr=[[r["mean"] - r["ci_low"]], [r["ci_high"] - r["mean"]]],
                fmt="o",
                color=color,
                capsize=3,
                ms=4,
            )
        ax.set_xlim(xmin, xmax)
        ax.set_yticks([])
        ax.tick_params(axis="x", labelsize=7)
        ax.set_ylabel(f"{r['pattern']} {r['check']}", rotation=0, ha="right", va="center", fontsize=8, color=color)
        ax.set_title(f"{r['measure']}   band {r['band']}", fontsize=8, loc="left", pad=2)
    fig.suptitle(f"{title}: model mean and 95 % CI (dot) against the accepted band (green)", fontsize=10)
    fig.tight_layout()
    return png(fig)


def _value(r: Any) -> str:
    return f"{num(r['mean'])} [{num(r['ci_low'])}, {num(r['ci_high'])}]"


def analyse(plan: Plan, store: RunStore, tables: dict[str, pd.DataFrame]) -> Extra:
    exp = plan.experiment
    # a results folder has no per-run time series: the stored table is read back there (verify, republish)
    table = tables["patterns"] if "patterns" in tables else pattern_table(plan, store, tables["runs"])
    results = table.drop_duplicates("pattern")[["pattern", "pattern_result"]]
    results = results[results["pattern_result"] != "input"]
    passed = int((results["pattern_result"] == "pass").sum())
    md = [
        "## Patterns",
        "",
        f"**{passed} of {len(results)} patterns pass.** {RULE} Measures are computed per replicate "
        f"({exp.replicates} replicates; differences paired by seed) and summarised like `summary.csv`.",
        "",
    ]
    for kind, heading in KIND_HEADINGS.items():
        part = table[table["kind"] == kind]
        if part.empty:
            continue
        header = [
            "pattern",
            "public figure (source)",
            "model measure",
            "model: mean [95 % CI]",
            "accepted band",
            "check",
        ]
        rows = [
            [
                r["pattern"],
                f"{r['check_figure']} ({r['source']})",
                f"`{r['measure']}`",
                _value(r),
                r["band"],
                r["check"],
            ]
            for _, r in part.iterrows()
        ]
        md += [f"### {heading}", "", *md_table(header, rows, "lllrll"), ""]
    md += ["Pattern results: " + ", ".join(f"{p} **{res}**" for p, res in results.itertuples(index=False)) + "."]
    md += ["", "**Why these bands.**", ""]
    for pattern in exp.patterns:
        md.append(f"- {pattern.id} ({pattern.claim.strip()}): {pattern.reason.strip()}")
    md += ["", f"![Patterns: model against the accepted bands]({CHART})", ""]
    lines = [f"Patterns: {passed} of {len(results)} pass ({RULE.split(';')[0].lower()})."]
    for _, r in table.iterrows():
        lines.append(
            f"  {r['pattern']:<4} {r['kind']:<10} {r['check'].upper():<5} {r['measure']:<55} {_value(r):<32} "
            f"band {r['band']}"
        )
    files = {TABLE: csv_bytes(table), CHART: chart(table, exp.name)}
    notes = [
        (
            TABLE,
            "per pattern check: pattern, claim, public figure, source, measure, n, mean, sd, 95 % CI, band, "
            "check and pattern result, and why the band",
        ),
        (CHART, "each check's model mean and 95 % CI against its accepted band"),
    ]
    evidence = table[table["kind"] != "input"]
    answer = [
        f"**{passed} of {len(results)} patterns pass**: a check passes when the model's mean lies in its accepted "
        "band (two-sided) or its whole 95 % CI lies beyond the bound (one-sided); inputs are not evidence. "
        f"{int((evidence['check'] == 'pass').sum())} of {len(evidence)} checks pass; per pattern, its first "
        "failing check, else its first check:"
    ]
    for _, block in evidence.groupby("pattern", sort=False):
        r = block[block["check"] == "fail"].iloc[0] if (block["check"] == "fail").any() else block.iloc[0]
        answer.append(
            f"- {r['pattern']} ({r['claim']}): {r['pattern_result']}; `{r['measure']}` = {_value(r)}, "
            f"accepted band {r['band']}."
        )
    return Extra(files=files, markdown=md, console="\n".join(lines), file_notes=notes, answer=answer)
