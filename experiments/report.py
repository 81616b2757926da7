"""report.md and the console table: the numbers, the figures, and a plain reading of each.

The readings are generated from the tables by fixed rules (highest and lowest
condition, whether their 95 % intervals overlap, where a heat map peaks, in
how many cells a contrast is clearly positive or negative), so they stay true
when the model is recalibrated. Nothing here depends on time or machine, so
a re-run of the same experiment writes the same report.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from experiments.aggregate import CI_METHOD
from experiments.figures import facets, heatmap_cells
from experiments.labels import label
from experiments.plan import Plan, fmt_value
from experiments.spec import FigureSpec


@dataclass
class Extra:
    """What an analysis of the runs (patterns, Morris screening) adds to the results folder."""

    files: dict[str, bytes] = field(default_factory=dict)  # file name -> content (tables, figures)
    markdown: list[str] = field(default_factory=list)  # a report.md section, placed after the setup
    console: str = ""  # printed after the run
    file_notes: list[tuple[str, str]] = field(default_factory=list)  # (file, what it holds) for report.md
    replaces_results: bool = False  # the per-condition tables would be unreadable (a design's many points)


def num(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if value != 0 and (abs(value) >= 1e4 or abs(value) < 1e-3):
        return f"{value:.3g}"
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


def fixed(value: float) -> str:
    """Three decimals (one from 100 up): aligned columns in the console table."""
    if value is None or math.isnan(value):
        return "n/a"
    return f"{value:.1f}" if abs(value) >= 100 else f"{value:.3f}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


# Outcomes that are shares or rates (bounded by [0, 1]): their intervals are clipped to [0, 1] in display
# only (the tables keep the Student-t bounds, which can leave [0, 1] when replicates are few).
UNIT_OUTCOMES = frozenset({
    "account_share", "ghost_share", "connected_share", "filler_share", "response_rate", "answer_rate",
    "misrouted_share", "resolution_rate", "active_share", "top5_post_share", "audit_pass_rate",
    "needs_met_connected", "needs_met_excluded", "gini_needs_met", "accounts_under_100_posts",
    "accounts_over_500_posts",
})  # fmt: skip
FEW_REPLICATES = 5


def ci_text(row: pd.Series) -> str:
    low, high = row["ci_low"], row["ci_high"]
    if row.get("outcome") in UNIT_OUTCOMES and "contrast" not in row:
        low, high = _clip(low), _clip(high)
    return f"{num(row['mean'])} [{num(low)}, {num(high)}]"


def _clip(value: float) -> float:
    return value if value is None or math.isnan(value) else min(1.0, max(0.0, float(value)))


def warnings_for(plan: Plan) -> list[str]:
    """One line each: too few replicates for useful intervals; a lever that cannot act within the horizon."""
    exp = plan.experiment
    out = []
    if exp.replicates < FEW_REPLICATES:
        out.append(
            f"replicates={exp.replicates}: 95 % confidence intervals from fewer than {FEW_REPLICATES} runs are very "
            "wide (shares are clipped to [0, 1] in the report, not in the tables)"
        )
    seen: set[str] = set()
    for cond in plan.conditions:
        for line in idle_levers(cond.config):
            text = f"{cond.label}: {line}" if len(plan.conditions) > 1 else line
            if line not in seen:
                seen.add(line)
                out.append(text)
    return out


def idle_levers(cfg: Any) -> list[str]:
    """Levers of the regime that start after the last day, so the run is the same as without them."""
    policy, days = cfg.policy, cfg.days
    levers = [
        ("integration", "the one-stop hub", lambda p: getattr(p, "enabled", False)),
        ("training", "training", lambda p: getattr(p, "share_per_year", 0) > 0),
        ("inclusion", "inclusion", lambda p: getattr(p, "places_per_10k", 0) > 0 or getattr(p, "assisted_coverage", 0) > 0),
        ("mandate", "the account mandate", lambda p: getattr(p, "share", 0) > 0),
    ]  # fmt: skip
    out = []
    for key, what, active in levers:
        lever = getattr(policy, key, None)
        start = getattr(lever, "start_day", None)
        if lever is not None and active(lever) and isinstance(start, int) and start > days:
            out.append(
                f"{what} of regime {policy.name} starts on day {start} (policy.{key}.start_day) but the run has "
                f"days={days}: it cannot act, the run is the same as without it"
            )
    audit = getattr(policy, "audit", None)
    if audit is not None and getattr(audit, "metric", "none") != "none" and getattr(audit, "period_days", 0) > days:
        out.append(
            f"the audit of regime {policy.name} comes every {audit.period_days} days (policy.audit.period_days) but "
            f"the run has days={days}: no audit happens"
        )
    return out


def _summary_row(summary: pd.DataFrame, condition: int, outcome: str) -> pd.Series:
    block = summary[(summary["condition"] == condition) & (summary["outcome"] == outcome)]
    return block.iloc[0]


# --- console -------------------------------------------------------------------------------------


def console_table(plan: Plan, summary: pd.DataFrame, outcomes: list[str] | None = None) -> str:
    """Conditions x outcomes, `mean ± half-width of the 95 % CI`, in blocks that fit 120 columns."""
    outcomes = outcomes or plan.experiment.table
    names = [c.label for c in plan.conditions]
    first = max(len("condition"), *(len(n) for n in names))
    width = max(17, *(len(o) for o in outcomes))
    per_block = max(1, (120 - first - 2) // (width + 1))
    blocks = []
    for start in range(0, len(outcomes), per_block):
        chunk = outcomes[start : start + per_block]
        head = f"{'condition':<{first}}  " + " ".join(f"{o:>{width}}" for o in chunk)
        lines = [head, "-" * len(head)]
        for cond in plan.conditions:
            cells = []
            for o in chunk:
                row = _summary_row(summary, cond.index, o)
                half = (row["ci_high"] - row["ci_low"]) / 2
                cells.append(f"{fixed(row['mean']) + ' ± ' + fixed(half):>{width}}")
            lines.append(f"{cond.label:<{first}}  " + " ".join(cells))
        blocks.append("\n".join(lines))
    n = plan.experiment.replicates
    return "\n\n".join(blocks) + f"\n(mean ± half-width of the 95 % CI over {n} replicates)"


# --- readings ------------------------------------------------------------------------------------


def reading_across(plan: Plan, summary: pd.DataFrame, outcome: str) -> str:
    rows = [(c, _summary_row(summary, c.index, outcome)) for c in plan.conditions]
    rows = [(c, r) for c, r in rows if not math.isnan(r["mean"])]
    name = label(outcome)
    if not rows:
        return f"{_cap(name)}: undefined in every condition."
    if len(rows) == 1:
        c, r = rows[0]
        return f"{_cap(name)}: {ci_text(r)} under {c.label}."
    hi_c, hi = max(rows, key=lambda cr: cr[1]["mean"])
    lo_c, lo = min(rows, key=lambda cr: cr[1]["mean"])
    if hi["mean"] == lo["mean"]:
        return f"{_cap(name)}: {num(hi['mean'])} in every condition."
    text = (
        f"{_cap(name)} is highest under {_tied(rows, hi_c, hi)} ({ci_text(hi)}) "
        f"and lowest under {_tied(rows, lo_c, lo)} ({ci_text(lo)})."
    )
    if hi["ci_low"] > lo["ci_high"]:
        text += " Their 95 % intervals do not overlap, so the difference is clear at this number of replicates."
    else:
        text += " Their 95 % intervals overlap: this experiment cannot tell them apart on this outcome."
    return text


def _tied(rows: list[tuple[Any, pd.Series]], cond: Any, row: pd.Series) -> str:
    """The condition's label, with any others that have exactly the same mean."""
    others = [c.label for c, r in rows if r["mean"] == row["mean"] and c is not cond]
    if not others:
        return cond.label
    if len(others) > 3:
        return f"{cond.label} and {len(others)} other conditions (tied)"
    return f"{cond.label} (tied with {', '.join(others)})"


def reading_series(plan: Plan, ts: pd.DataFrame, outcome: str) -> str:
    block = ts[ts["outcome"] == outcome]
    name = label(outcome)
    ends, rising, falling = [], 0, 0
    for cond in plan.conditions:
        rows = block[(block["condition"] == cond.index)].dropna(subset=["mean"])
        if rows.empty:
            continue
        first, last = rows.iloc[0], rows.iloc[-1]
        ends.append((cond, last))
        if last["mean"] > first["mean"]:
            rising += 1
        elif last["mean"] < first["mean"]:
            falling += 1
    if not ends:
        return f"{_cap(name)}: undefined throughout."
    day = int(max(r["day"] for _, r in ends))
    hi_c, hi = max(ends, key=lambda cr: cr[1]["mean"])
    lo_c, lo = min(ends, key=lambda cr: cr[1]["mean"])
    trend = f"it rises over the run in {rising} of {len(ends)} conditions and falls in {falling}"
    if len(ends) == 1:
        return f"{_cap(name)} ends (day {day}) at {ci_text(hi)}; {trend}."
    return (
        f"{_cap(name)} ends (day {day}) highest under {_tied(ends, hi_c, hi)} ({ci_text(hi)}) "
        f"and lowest under {_tied(ends, lo_c, lo)} ({ci_text(lo)}); {trend}."
    )


def _numeric(values: list[Any]) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def _axis_trend(values: np.ndarray, axis: int, key: str, other: str, levels: list[Any]) -> str:
    """How the cell means, averaged over the other axis, change along `key`."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        means = np.nanmean(values, axis=axis)
    if not np.isfinite(means).any() or len(means) < 2:
        return ""
    if not _numeric(levels):
        parts = ", ".join(f"{num(m)} for {fmt_value(v)}" for v, m in zip(levels, means, strict=True))
        return f"averaged over {label(other)}, it is {parts}"
    finite = means[np.isfinite(means)]
    first, last = finite[0], finite[-1]
    if first == last:
        return f"averaged over {label(other)}, it does not change with {label(key)}"
    steps = np.diff(finite)
    shape = "steadily" if (steps >= 0).all() or (steps <= 0).all() else "overall, not steadily,"
    verb = "rises" if last > first else "falls"
    return f"averaged over {label(other)}, it {verb} {shape} with {label(key)} ({num(first)} → {num(last)})"


def reading_heatmap(plan: Plan, spec: FigureSpec, tables: dict[str, pd.DataFrame]) -> list[str]:
    xs, ys = plan.experiment.sweep[spec.x], plan.experiment.sweep[spec.y]
    out = []
    for facet in facets(plan, spec):
        where = ", ".join(f"{plan.names[k]}={fmt_value(v)}" for k, v in facet.items())
        prefix = f"[{where}] " if where else ""
        for outcome in spec.outcomes:
            mean, sig = heatmap_cells(plan, spec, facet, outcome, tables["summary"], tables["contrasts"])
            name = _cap(label(outcome))
            if not np.isfinite(mean).any():
                out.append(f"{prefix}{name}: undefined in every cell.")
                continue

            def cell(i: int, j: int) -> str:
                return f"{plan.names[spec.x]}={fmt_value(xs[j])}, {plan.names[spec.y]}={fmt_value(ys[i])}"

            if spec.contrast:
                a, b = spec.contrast
                pos = int(((mean > 0) & sig).sum())
                neg = int(((mean < 0) & sig).sum())
                total = int(np.isfinite(mean).sum())
                text = (
                    f"{prefix}{name}, {a} − {b}: {a} is clearly higher in {pos} of {total} cells and clearly "
                    f"lower in {neg} (95 % CI of the paired difference excludes zero); "
                    f"elsewhere the difference is unclear."
                )
                imax = np.unravel_index(np.nanargmax(mean), mean.shape)
                imin = np.unravel_index(np.nanargmin(mean), mean.shape)
                text += (
                    f" The difference is largest at {cell(*imax)} ({num(mean[imax])}) "
                    f"and smallest at {cell(*imin)} ({num(mean[imin])})."
                )
            else:
                imax = np.unravel_index(np.nanargmax(mean), mean.shape)
                imin = np.unravel_index(np.nanargmin(mean), mean.shape)
                text = (
                    f"{prefix}{name} ranges from {num(mean[imin])} ({cell(*imin)}) "
                    f"to {num(mean[imax])} ({cell(*imax)})."
                )
            trends = [_axis_trend(mean, 0, spec.x, spec.y, xs), _axis_trend(mean, 1, spec.y, spec.x, ys)]
            trends = [t for t in trends if t]
            if trends:
                text += " " + _cap("; ".join(trends)) + "."
            out.append(text)
    return out


def figure_readings(plan: Plan, spec: FigureSpec, tables: dict[str, pd.DataFrame]) -> list[str]:
    if spec.kind == "timeseries":
        return [reading_series(plan, tables["timeseries"], o) for o in spec.outcomes]
    if spec.kind == "bars":
        return [reading_across(plan, tables["summary"], o) for o in spec.outcomes]
    return reading_heatmap(plan, spec, tables)


# --- report.md -----------------------------------------------------------------------------------


def markdown_table(plan: Plan, summary: pd.DataFrame, outcomes: list[str], per_table: int = 5) -> str:
    blocks = []
    for start in range(0, len(outcomes), per_table):
        chunk = outcomes[start : start + per_table]
        lines = [
            "| condition | " + " | ".join(label(o) for o in chunk) + " |",
            "|---|" + "---:|" * len(chunk),
        ]
        for cond in plan.conditions:
            cells = [ci_text(_summary_row(summary, cond.index, o)) for o in chunk]
            lines.append(f"| {cond.label} | " + " | ".join(cells) + " |")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def signed(row: pd.Series) -> str:
    def sg(v: float) -> str:
        return num(v) if (isinstance(v, float) and math.isnan(v)) or v <= 0 else "+" + num(v)

    return f"{sg(row['mean'])} [{sg(row['ci_low'])}, {sg(row['ci_high'])}]"


def _some(items: list[str], most: int = 8) -> str:
    shown = "; ".join(items[:most])
    return shown + (f"; and {len(items) - most} more (see the table)" if len(items) > most else "")


def baseline_section(plan: Plan, contrasts: pd.DataFrame, per_table: int = 5) -> list[str]:
    """Every other regime minus the baseline, paired by seed (common random numbers)."""
    exp = plan.experiment
    base = exp.baseline
    conds = [c for c in plan.conditions if c.regime != base]
    outcomes = list(exp.outcomes)
    table = contrasts[contrasts["contrast"].str.endswith(f" - {base}")].set_index(["condition_a", "outcome"])
    parts = [
        f"## Compared with `{base}`",
        "",
        f"Paired difference (regime − {base}, same seeds and swept values): mean and 95 % CI over "
        f"{exp.replicates} replicate pairs. Pairing removes the noise the two runs share, so these intervals "
        "are narrower than a comparison of the two means above would suggest.",
        "",
    ]
    for start in range(0, len(outcomes), per_table):
        chunk = outcomes[start : start + per_table]
        parts += ["| condition | " + " | ".join(label(o) for o in chunk) + " |", "|---|" + "---:|" * len(chunk)]
        for c in conds:
            parts.append(f"| {c.label} | " + " | ".join(signed(table.loc[(c.index, o)]) for o in chunk) + " |")
        parts.append("")
    parts += ["**Reading.**", ""]
    for o in exp.table:
        higher, lower, unclear = [], [], []
        for c in conds:
            row = table.loc[(c.index, o)]
            if row["ci_low"] > 0:
                higher.append(f"{c.label} ({signed(row)})")
            elif row["ci_high"] < 0:
                lower.append(f"{c.label} ({signed(row)})")
            else:
                unclear.append(c.label)
        bits = []
        if higher:
            bits.append("clearly higher under " + _some(higher))
        if lower:
            bits.append("clearly lower under " + _some(lower))
        if unclear and len(unclear) <= 3:
            bits.append("not clearly different under " + "; ".join(unclear))
        elif unclear:
            which = "the other" if higher or lower else "all"
            bits.append(f"not clearly different in {which} {len(unclear)} conditions")
        parts.append(f"- {_cap(label(o))}, compared with {base}: " + "; ".join(bits) + ".")
    return [*parts, ""]


def _population_line(plan: Plan) -> str:
    def distinct(values: list[Any]) -> str:
        unique = sorted(set(values))
        return f"{unique[0]:,}" if len(unique) == 1 else " to ".join(f"{v:,}" for v in (unique[0], unique[-1]))

    configs = [c.config for c in plan.conditions]
    names = sorted({c.population.name for c in configs})
    citizens = distinct([c.population.n_citizens for c in configs])
    days = distinct([c.days for c in configs])
    return f"- Population {', '.join(f'`{n}`' for n in names)}: {citizens} citizens; horizon {days} days."


def _setup(plan: Plan) -> list[str]:
    exp = plan.experiment
    cfg = plan.conditions[0].config
    window = min(cfg.metrics.summary_days, cfg.days)
    sweep = "; ".join(f"`{k}` ∈ {{{', '.join(fmt_value(v) for v in vals)}}}" for k, vals in exp.sweep.items())
    if exp.design is not None:
        d = exp.design
        conditions = [
            f"- Design: {d.method} screening of {len(d.parameters)} parameters on regime `{d.regime}` "
            f"(config group `policy`): {len(plan.conditions)} design points, ranges below.",
        ]
    elif exp.conditions:
        described = []
        for c in exp.conditions:
            extra = "; " + ", ".join(f"`{o}`" for o in c.overrides) if c.overrides else ""
            described.append(f"`{c.name}` (regime `{c.regime}`{extra})")
        conditions = [f"- Conditions: {', '.join(described)}."]
    else:
        conditions = [
            f"- Regimes (config group `policy`): {', '.join(f'`{r}`' for r in exp.regimes)}.",
            f"- Swept: {sweep}." if sweep else "- Swept: nothing besides the regimes.",
        ]
    lines = [
        *conditions,
        f"- Model overrides for every run: {', '.join(f'`{b}`' for b in exp.base)}." if exp.base else
        "- Model overrides for every run: none (the model's defaults).",
        _population_line(plan),
        f"- {len(plan.conditions)} conditions × {exp.replicates} replicates = {len(plan.runs)} runs. "
        f"Replicate seeds: `numpy.random.SeedSequence({exp.seed}).spawn({exp.replicates})`; every condition uses "
        "the same seeds (common random numbers), so differences between conditions are paired.",
        f"- Outcomes are each run's summary over its final {window} days (`metrics.summary_days`); "
        "time series are 30-day rolling values per day.",
        f"- {CI_METHOD}",
    ]  # fmt: skip
    return lines


FILES = (
    ("runs.csv", "one row per run: condition, regime, swept values, replicate, seed, run id, every summary outcome"),
    ("summary.csv", "per condition and outcome: n, mean, sd, 95 % CI"),
    ("timeseries.csv.gz", "per condition, day and outcome: n, mean, 95 % CI"),
    ("contrasts.csv", "paired differences between two regimes (same seeds, same swept values): n, mean, sd, 95 % CI"),
    ("manifest.json", "resolved configs, overrides, seeds, versions, git commit, SHA-256 of every file"),
)


def report_md(
    plan: Plan, tables: dict[str, pd.DataFrame], figure_files: dict[str, str], extras: list[Extra] | None = None
) -> str:
    exp = plan.experiment
    extras = extras or []
    parts: list[str] = [f"# Experiment `{exp.name}`", ""]
    if exp.question:
        parts += [f"**Question.** {exp.question.strip()}", ""]
    parts += ["## Setup", "", *_setup(plan), ""]
    notes = warnings_for(plan)
    if notes:
        parts += ["**Warnings.**", "", *[f"- {n}" for n in notes], ""]
    for extra in extras:
        parts += extra.markdown
    if any(e.replaces_results for e in extras):
        parts += [
            "## Results per condition",
            "",
            f"The {len(plan.conditions)} conditions' means and 95 % confidence intervals are in `summary.csv`, "
            "one row per condition and outcome; every run is in `runs.csv`.",
            "",
        ]
    else:
        parts += [
            "## Results",
            "",
            "Mean and 95 % confidence interval per condition (all outcomes and their standard deviations "
            "are in `summary.csv`).",
            "",
            markdown_table(plan, tables["summary"], list(exp.outcomes)),
            "",
        ]
        parts += ["**Reading.**", ""] + [f"- {reading_across(plan, tables['summary'], o)}" for o in exp.table]
        parts += [""]
    if exp.baseline:
        parts += baseline_section(plan, tables["contrasts"])
    if exp.figures:
        parts += ["## Figures", ""]
    for spec in exp.figures:
        file = figure_files[spec.name]
        title = spec.title or spec.name.replace("_", " ")
        parts += [f"### {title}", "", f"![{title}]({file})", ""]
        if spec.caption:
            parts += [spec.caption.strip(), ""]
        parts += ["**Reading.**", ""] + [f"- {r}" for r in figure_readings(plan, spec, tables)] + [""]
    present = [(f, d) for f, d in FILES if f != "contrasts.csv" or not tables["contrasts"].empty]
    present[-1:-1] = [note for extra in extras for note in extra.file_notes]
    parts += ["## Files", ""] + [f"- `{f}`: {d}." for f, d in present] + [""]
    parts += [
        "## Reproduce",
        "",
        "```",
        f"python -m experiments verify results/{exp.name}",
        "```",
        "",
        "re-runs every run from `manifest.json` and compares every number; it prints OK or the files "
        "and values that differ.",
        "",
    ]
    return "\n".join(parts)


def failure_lines(failed: list[tuple[Any, str]]) -> list[str]:
    return [f"  {run.condition.label}, replicate {run.replicate} (seed {run.seed}, run {run.run_id}): {err}"
            for run, err in failed]  # fmt: skip
