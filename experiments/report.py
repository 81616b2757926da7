"""report.md and the console table: the answer first, then the numbers, the figures and a reading of each.

report.md opens with a short answer to the experiment's question, stated from the tables with their
95 % intervals by fixed rules (the condition that does best on each headline outcome and by how much,
in how many cells a paired difference is clearly positive or negative, what the analyses found), then
a one-line glossary of the regimes and of every outcome shown. Each outcome has one number format in
the whole report (`experiments.labels.number_format`); undefined cells are left blank with a footnote.
Nothing here depends on time or machine, so a re-run of the same experiment writes the same report.
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
from experiments.labels import BETTER, SHARES, NumberFormat, label, meaning, number_format, regime_meaning, with_unit
from experiments.plan import Plan, fmt_value
from experiments.spec import FigureSpec
from sim.config import SimConfig

FEW_REPLICATES = 5
BLANK = "–"  # an undefined cell (footnoted)


@dataclass
class Extra:
    """What an analysis of the runs (patterns, Morris screening, calibration) adds to the results folder."""

    files: dict[str, bytes] = field(default_factory=dict)  # file name -> content (tables, figures)
    markdown: list[str] = field(default_factory=list)  # a report.md section, placed after the setup
    console: str = ""  # printed after the run
    file_notes: list[tuple[str, str]] = field(default_factory=list)  # (file, what it holds) for report.md
    replaces_results: bool = False  # the per-condition tables would be unreadable (a design's many points)
    answer: list[str] = field(default_factory=list)  # the analysis's answer to the question, from its numbers


def num(value: float) -> str:
    """A lone number without a declared format: three decimals, three significant digits when smaller."""
    if value is None or math.isnan(value):
        return BLANK
    if value != 0 and abs(value) < 0.01:
        return f"{value:.{2 - math.floor(math.log10(abs(value)))}f}"
    return number_format("", [value])(value)


def md_table(header: list[str], rows: list[list[str]], align: str = "l") -> list[str]:
    """A markdown table; `align` gives one l/r per column, its last letter repeated ("lr": first left, rest right)."""
    marks = [{"l": "---", "r": "---:"}[(align + align[-1] * len(header))[i]] for i in range(len(header))]
    return [f"| {' | '.join(line)} |" for line in (header, marks, *rows)]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def formats(summary: pd.DataFrame) -> dict[str, NumberFormat]:
    """One number format per outcome, from the magnitude of its means over every condition."""
    return {o: number_format(o, block["mean"]) for o, block in summary.groupby("outcome", sort=False)}


def ci_text(row: pd.Series, fmt: NumberFormat | None = None, signed: bool = False) -> str:
    """`mean [low, high]`; shares' intervals clipped to [0, 1] in display (not for differences)."""
    if math.isnan(row["mean"]):
        return BLANK
    fmt = fmt or number_format(str(row.get("outcome", "")), [row["mean"]])
    low, high = row["ci_low"], row["ci_high"]
    if row.get("outcome") in SHARES and not signed:
        low, high = np.clip([low, high], 0.0, 1.0)
    if math.isnan(low):
        return f"{fmt(row['mean'], signed)} (one replicate)"
    return f"{fmt(row['mean'], signed)} [{fmt(low, signed)}, {fmt(high, signed)}]"


def warnings_for(plan: Plan) -> list[str]:
    """One line each: too few replicates for useful intervals; a lever that cannot act within the horizon."""
    exp = plan.experiment
    out = []
    if exp.replicates < FEW_REPLICATES:
        out.append(
            f"replicates={exp.replicates}: 95 % confidence intervals from fewer than {FEW_REPLICATES} runs are very "
            "wide (shares are clipped to [0, 1] in the report, not in the tables)"
        )
    idle: dict[str, str] = {}  # each line once, with the first condition it is about
    for cond in plan.conditions:
        for line in idle_levers(cond.config):
            idle.setdefault(line, cond.label)
    return out + [f"{c}: {line}" if len(plan.conditions) > 1 else line for line, c in idle.items()]


LEVERS = (  # policy.<key>, what it is, the fields that switch it on (any non-zero)
    ("integration", "the one-stop hub", ("enabled",)),
    ("training", "training", ("share_per_year",)),
    ("inclusion", "inclusion", ("places_per_10k", "assisted_coverage")),
    ("mandate", "the account mandate", ("share",)),
)


def idle_levers(cfg: SimConfig) -> list[str]:
    """Levers of the regime that start after the last day, so the run is the same as without them."""
    policy, days = cfg.policy, cfg.days
    out = []
    for key, what, switches in LEVERS:
        lever = getattr(policy, key)
        if any(getattr(lever, s) for s in switches) and lever.start_day > days:
            out.append(
                f"{what} of regime {policy.name} starts on day {lever.start_day} (policy.{key}.start_day) but the "
                f"run has days={days}: it cannot act, the run is the same as without it"
            )
    audit = policy.audit
    if audit.metric != "none" and audit.period_days > days:
        out.append(
            f"the audit of regime {policy.name} comes every {audit.period_days} days (policy.audit.period_days) but "
            f"the run has days={days}: no audit happens"
        )
    return out


def _row(table: pd.DataFrame, condition: int, outcome: str, key: str = "condition") -> pd.Series:
    return table[(table[key] == condition) & (table["outcome"] == outcome)].iloc[0]


# --- console -------------------------------------------------------------------------------------


def console_table(plan: Plan, summary: pd.DataFrame) -> str:
    """Conditions x headline outcomes, `mean ± half-width of the 95 % CI`, wrapped at 120 columns (pandas to_string)."""
    outcomes, fmts = plan.experiment.table, formats(summary)
    rows = {c.label: {o: _row(summary, c.index, o) for o in outcomes} for c in plan.conditions}
    cells = {
        k: {o: f"{fmts[o](r['mean'])} ± {fmts[o]((r['ci_high'] - r['ci_low']) / 2)}" for o, r in v.items()}
        for k, v in rows.items()
    }
    table = pd.DataFrame.from_dict(cells, orient="index").rename_axis("condition")
    scaled = "".join(f"; {o} {fmts[o].unit}" for o in outcomes if fmts[o].unit)
    n = plan.experiment.replicates
    return table.to_string(line_width=120) + f"\n(mean ± half-width of the 95 % CI over {n} replicates{scaled})"


# --- the answer ----------------------------------------------------------------------------------


def _direction(outcome: str, how: str = " ({})") -> str:
    word = {1: "more is better", -1: "less is better"}.get(BETTER.get(outcome, 0))
    return how.format(word) if word else ""


def answer_regimes(plan: Plan, tables: dict[str, pd.DataFrame], fmts: dict[str, NumberFormat]) -> list[str]:
    """Regimes without a sweep: which does best on each headline outcome, clear of the next or not, and against
    the baseline (paired)."""
    exp, summary, contrasts = plan.experiment, tables["summary"], tables["contrasts"]
    base = next(c for c in plan.conditions if c.regime == exp.baseline)
    wins: dict[str, list[tuple[str, bool]]] = {}  # the best condition -> (outcome, clearly ahead of the next)
    lines = []
    for o in exp.table:
        sign = BETTER.get(o, 1)
        rows = sorted(_defined(plan, summary, o), key=lambda cr: -sign * cr[1]["mean"])
        if len(rows) < 2:
            continue
        (best, b), (nxt, n), (worst, w) = rows[0], rows[1], rows[-1]
        clear = bool(b["ci_low"] > n["ci_high"] if sign > 0 else b["ci_high"] < n["ci_low"])
        word, other = ("highest", "lowest") if sign > 0 else ("lowest", "highest")
        text = f"{_cap(label(o))}{_direction(o)}: {word} under `{best.label}`, {ci_text(b, fmts[o])}"
        text += f", {'clearly ahead of' if clear else 'not clearly apart from'} `{nxt.label}` ({ci_text(n, fmts[o])})"
        if best is not base:
            d = _row(contrasts[contrasts["contrast"] == f"{best.regime} - {base.regime}"], best.index, o, "condition_a")
            text += f"; against `{base.label}` {ci_text(d, fmts[o], signed=True)} (paired)"
        lines.append(f"- {text}; {other} under `{worst.label}`, {ci_text(w, fmts[o])}.")
        if o in BETTER:
            wins.setdefault(best.label, []).append((label(o), clear))
    if not wins:
        return lines
    leader, won = max(wins.items(), key=lambda kv: len(kv[1]))
    lead = (
        f"`{leader}` does best on {len(won)} of the {sum(o in BETTER for o in exp.table)} headline outcomes with a "
        f"direction ({', '.join(o for o, _ in won)}), clearly ahead of the next regime (95 % CIs apart) on "
        f"{sum(c for _, c in won)} of them"
    )
    others = [f"`{c}` on {', '.join(o for o, _ in v)}" for c, v in wins.items() if c != leader]
    return [lead + (f"; {'; '.join(others)}." if others else "."), "", *lines]


def answer_contrasts(plan: Plan, tables: dict[str, pd.DataFrame], fmts: dict[str, NumberFormat]) -> list[str]:
    """Regimes across a sweep: for each regime against the baseline, in how many cells each headline outcome is
    clearly higher or lower (paired 95 % CI), and where the difference is largest."""
    exp, contrasts = plan.experiment, tables["contrasts"]
    lines = []
    for regime in (r for r in exp.regimes if r != exp.baseline):
        block = contrasts[contrasts["contrast"] == f"{regime} - {exp.baseline}"]
        for o in exp.table:
            rows = block[(block["outcome"] == o) & block["mean"].notna()]
            if rows.empty:
                continue
            up, down = int((rows["ci_low"] > 0).sum()), int((rows["ci_high"] < 0).sum())
            top = rows["mean"].abs().idxmax()
            picked = rows if len(rows) <= 4 else rows.loc[list(dict.fromkeys([rows.index[0], top, rows.index[-1]]))]
            cells = "; ".join(
                f"{ci_text(r, fmts[o], signed=True)} at {', '.join(f'{plan.names[k]}={fmt_value(r[k])}' for k in plan.swept)}"
                + (" (largest)" if i == top and len(rows) > 4 else "")
                for i, r in picked.iterrows()
            )
            lines.append(
                f"- {_cap(label(o))}{_direction(o)}, `{regime}` − `{exp.baseline}`: clearly higher in {up} and clearly "
                f"lower in {down} of {len(rows)} cells; {cells}."
            )
    return lines


def answer(
    plan: Plan, tables: dict[str, pd.DataFrame], fmts: dict[str, NumberFormat], extras: list[Extra]
) -> list[str]:
    """The analyses' answer if they give one; else the regimes against the baseline; else each outcome's range."""
    exp = plan.experiment
    if any(e.answer for e in extras):
        body = [line for e in extras for line in e.answer]
    elif exp.baseline:
        body = (answer_contrasts if plan.swept else answer_regimes)(plan, tables, fmts)
    else:
        body = [f"- {reading_across(plan, tables['summary'], o, fmts)}" for o in exp.table]
    return [f"**Answer** (means over {exp.replicates} replicates, 95 % CIs in brackets).", "", *body]


def glossary(plan: Plan, outcomes: list[str], fmts: dict[str, NumberFormat]) -> list[str]:
    regimes = list(dict.fromkeys(c.regime for c in plan.conditions))
    lines = ["## Glossary", ""]
    lines += [f"- Regime `{r}`: {regime_meaning(r) or 'see configs/policy/' + r + '.yaml'}" for r in regimes]
    for o in outcomes:
        unit = f"; shown {fmts[o].unit}" if o in fmts and fmts[o].unit else ""
        lines.append(f"- {_cap(label(o))} (`{o}`): {meaning(o) or 'see docs/ODD.md'}{_direction(o, '; {}')}{unit}.")
    return [*lines, ""]


# --- readings ------------------------------------------------------------------------------------


def _defined(plan: Plan, table: pd.DataFrame, outcome: str) -> list[tuple[Any, pd.Series]]:
    """(condition, row) for each condition where the outcome's mean is defined."""
    rows = [(c, _row(table, c.index, outcome)) for c in plan.conditions]
    return [(c, r) for c, r in rows if not math.isnan(r["mean"])]


def reading_across(plan: Plan, summary: pd.DataFrame, outcome: str, fmts: dict[str, NumberFormat]) -> str:
    return _highest_lowest(label(outcome), _defined(plan, summary, outcome), fmts[outcome])


def _highest_lowest(name: str, rows: list[tuple[Any, pd.Series]], fmt: NumberFormat, when: str = "") -> str:
    """Where the outcome is highest and lowest, and whether their 95 % intervals overlap."""
    if not rows:
        return f"{_cap(name)}: undefined in every condition."
    if len(rows) == 1:
        return f"{_cap(name)}{when}: {ci_text(rows[0][1], fmt)} under {rows[0][0].label}."
    hi_c, hi = max(rows, key=lambda cr: cr[1]["mean"])
    lo_c, lo = min(rows, key=lambda cr: cr[1]["mean"])
    if hi["mean"] == lo["mean"]:
        return f"{_cap(name)}{when}: {fmt(hi['mean'])} in every condition."
    text = (
        f"{_cap(name)}{when} is highest under {_tied(rows, hi_c, hi)} ({ci_text(hi, fmt)}) "
        f"and lowest under {_tied(rows, lo_c, lo)} ({ci_text(lo, fmt)})."
    )
    if hi["ci_low"] > lo["ci_high"]:
        return text + " Their 95 % intervals do not overlap, so the difference is clear at this number of replicates."
    return text + " Their 95 % intervals overlap: this experiment cannot tell them apart on this outcome."


def _tied(rows: list[tuple[Any, pd.Series]], cond: Any, row: pd.Series) -> str:
    """The condition's label, with any others that have exactly the same mean."""
    others = [c.label for c, r in rows if r["mean"] == row["mean"] and c is not cond]
    if not others:
        return cond.label
    if len(others) > 3:
        return f"{cond.label} and {len(others)} other conditions (tied)"
    return f"{cond.label} (tied with {', '.join(others)})"


def reading_series(plan: Plan, ts: pd.DataFrame, outcome: str, fmts: dict[str, NumberFormat]) -> str:
    block = ts[(ts["outcome"] == outcome) & ts["mean"].notna()]
    fmt = fmts.get(outcome) or number_format(outcome, block["mean"])
    runs = [(c, block[block["condition"] == c.index]) for c in plan.conditions]
    runs = [(c, rows) for c, rows in runs if not rows.empty]
    if not runs:
        return f"{_cap(label(outcome))}: undefined throughout."
    rising = sum(rows["mean"].iloc[-1] > rows["mean"].iloc[0] for _, rows in runs)
    falling = sum(rows["mean"].iloc[-1] < rows["mean"].iloc[0] for _, rows in runs)
    day = int(max(rows["day"].iloc[-1] for _, rows in runs))
    text = _highest_lowest(label(outcome), [(c, rows.iloc[-1]) for c, rows in runs], fmt, f" at the end (day {day})")
    return text + f" It rises over the run in {rising} of {len(runs)} conditions and falls in {falling}."


def _axis_trend(values: np.ndarray, axis: int, key: str, other: str, levels: list[Any], fmt: NumberFormat) -> str:
    """How the cell means, averaged over the other axis, change along `key`."""
    with warnings.catch_warnings(action="ignore", category=RuntimeWarning):  # an all-NaN row or column
        means = np.nanmean(values, axis=axis)
    if not np.isfinite(means).any() or len(means) < 2:
        return ""
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in levels):
        parts = ", ".join(f"{fmt(m)} for {fmt_value(v)}" for v, m in zip(levels, means, strict=True))
        return f"averaged over {label(other)}, it is {parts}"
    finite = means[np.isfinite(means)]
    first, last = finite[0], finite[-1]
    if first == last:
        return f"averaged over {label(other)}, it does not change with {label(key)}"
    steps = np.diff(finite)
    shape = "steadily" if (steps >= 0).all() or (steps <= 0).all() else "overall, not steadily,"
    verb = "rises" if last > first else "falls"
    return f"averaged over {label(other)}, it {verb} {shape} with {label(key)} ({fmt(first)} → {fmt(last)})"


def reading_heatmap(
    plan: Plan, spec: FigureSpec, tables: dict[str, pd.DataFrame], fmts: dict[str, NumberFormat]
) -> list[str]:
    xs, ys = plan.experiment.sweep[spec.x], plan.experiment.sweep[spec.y]

    def cell(i: int, j: int) -> str:
        return f"{plan.names[spec.x]}={fmt_value(xs[j])}, {plan.names[spec.y]}={fmt_value(ys[i])}"

    out = []
    for facet in facets(plan, spec):
        where = ", ".join(f"{plan.names[k]}={fmt_value(v)}" for k, v in facet.items())
        prefix = f"[{where}] " if where else ""
        for outcome in spec.outcomes:
            mean, sig = heatmap_cells(plan, spec, facet, outcome, tables["summary"], tables["contrasts"])
            name, fmt = _cap(label(outcome)), fmts[outcome]
            if not np.isfinite(mean).any():
                out.append(f"{prefix}{name}: undefined in every cell.")
                continue
            imax = np.unravel_index(np.nanargmax(mean), mean.shape)
            imin = np.unravel_index(np.nanargmin(mean), mean.shape)
            if spec.contrast:
                a, b = spec.contrast
                pos, neg = int(((mean > 0) & sig).sum()), int(((mean < 0) & sig).sum())
                text = (
                    f"{prefix}{name}, {a} − {b}: {a} is clearly higher in {pos} of {int(np.isfinite(mean).sum())} "
                    f"cells and clearly lower in {neg} (95 % CI of the paired difference excludes zero); elsewhere "
                    f"the difference is unclear. The difference is largest at {cell(*imax)} "
                    f"({fmt(mean[imax], True)}) and smallest at {cell(*imin)} ({fmt(mean[imin], True)})."
                )
            else:
                text = f"{prefix}{name} ranges from {fmt(mean[imin])} ({cell(*imin)}) to {fmt(mean[imax])} ({cell(*imax)})."
            trends = [_axis_trend(mean, 0, spec.x, spec.y, xs, fmt), _axis_trend(mean, 1, spec.y, spec.x, ys, fmt)]
            trends = [t for t in trends if t]
            out.append(text + (" " + _cap("; ".join(trends)) + "." if trends else ""))
    return out


def figure_readings(
    plan: Plan, spec: FigureSpec, tables: dict[str, pd.DataFrame], fmts: dict[str, NumberFormat]
) -> list[str]:
    if spec.kind == "timeseries":
        return [reading_series(plan, tables["timeseries"], o, fmts) for o in spec.outcomes]
    if spec.kind == "bars":
        return [reading_across(plan, tables["summary"], o, fmts) for o in spec.outcomes]
    return reading_heatmap(plan, spec, tables, fmts)


# --- report.md -----------------------------------------------------------------------------------


def results_tables(
    table: pd.DataFrame,
    outcomes: list[str],
    fmts: dict[str, NumberFormat],
    conds: list[Any],
    key: str = "condition",
    signed: bool = False,
) -> list[str]:
    """Conditions x outcomes in blocks of five; undefined cells blank, with a footnote naming them."""
    cells = {(c.index, o): _row(table, c.index, o, key) for c in conds for o in outcomes}
    undefined = {o: [c.label for c in conds if math.isnan(cells[(c.index, o)]["mean"])] for o in outcomes}
    shown = [o for o in outcomes if len(undefined[o]) < len(conds)]
    parts: list[str] = []
    for start in range(0, len(shown), 5):
        chunk = shown[start : start + 5]
        rows = [[c.label, *(ci_text(cells[(c.index, o)], fmts[o], signed) for o in chunk)] for c in conds]
        parts += [*md_table(["condition", *(with_unit(o, fmts[o]) for o in chunk)], rows, "lr"), ""]
    notes = [f"{label(o)} under {', '.join(v)}" for o, v in undefined.items() if v and o in shown]
    gone = [label(o) for o in outcomes if o not in shown]
    if notes:
        parts += [
            f"{BLANK} : undefined in every replicate (nothing to measure, e.g. no audit or no posts): "
            f"{'; '.join(notes)}.",
            "",
        ]
    if gone:
        parts += [f"Left out, undefined in every condition: {', '.join(gone)}.", ""]
    return parts


def baseline_section(plan: Plan, contrasts: pd.DataFrame, fmts: dict[str, NumberFormat]) -> list[str]:
    """Every other regime minus the baseline, paired by seed (common random numbers)."""
    exp = plan.experiment
    base = exp.baseline
    conds = [c for c in plan.conditions if c.regime != base]
    table = contrasts[contrasts["contrast"].str.endswith(f" - {base}")]
    parts = [
        f"## Compared with `{base}`",
        "",
        f"Paired difference (regime − {base}, same seeds and swept values): mean and 95 % CI over "
        f"{exp.replicates} replicate pairs. Pairing removes the noise the two runs share, so these intervals "
        "are narrower than a comparison of the two means above would suggest.",
        "",
        *results_tables(table, list(exp.outcomes), fmts, conds, "condition_a", signed=True),
        "**Reading.**",
        "",
    ]
    for o in exp.table:
        higher, lower, unclear = [], [], []
        for c in conds:
            row = _row(table, c.index, o, "condition_a")
            text = f"{c.label} ({ci_text(row, fmts[o], signed=True)})"
            (higher if row["ci_low"] > 0 else lower if row["ci_high"] < 0 else unclear).append(text)
        bits = [
            f"clearly {w} under " + "; ".join(v[:8]) + (f"; and {len(v) - 8} more" if len(v) > 8 else "")
            for w, v in (("higher", higher), ("lower", lower))
            if v
        ]
        if unclear and len(unclear) <= 3:
            bits.append("not clearly different under " + "; ".join(u.split(" (")[0] for u in unclear))
        elif unclear:
            bits.append(
                f"not clearly different in {'the other' if higher or lower else 'all'} {len(unclear)} conditions"
            )
        parts.append(f"- {_cap(label(o))}, compared with {base}: " + "; ".join(bits) + ".")
    return [*parts, ""]


def _setup(plan: Plan) -> list[str]:
    def distinct(values: list[Any]) -> str:
        unique = sorted(set(values))
        return f"{unique[0]:,}" if len(unique) == 1 else " to ".join(f"{v:,}" for v in (unique[0], unique[-1]))

    exp, configs = plan.experiment, [c.config for c in plan.conditions]
    populations = ", ".join(f"`{n}`" for n in sorted({c.population.name for c in configs}))
    window = min(configs[0].metrics.summary_days, configs[0].days)
    sweep = "; ".join(f"`{k}` ∈ {{{', '.join(fmt_value(v) for v in vals)}}}" for k, vals in exp.sweep.items())
    if exp.design is not None:
        d = exp.design
        conditions = [
            f"- Design: {d.method} screening of {len(d.parameters)} parameters on regime `{d.regime}` "
            f"(config group `policy`): {len(plan.conditions)} design points, ranges below."
        ]
    elif exp.conditions:
        described = [
            f"`{c.name}` (regime `{c.regime}`{'; ' + ', '.join(f'`{o}`' for o in c.overrides) if c.overrides else ''})"
            for c in exp.conditions
        ]
        conditions = [f"- Conditions: {', '.join(described)}."]
    else:
        conditions = [
            f"- Regimes (config group `policy`): {', '.join(f'`{r}`' for r in exp.regimes)}.",
            f"- Swept: {sweep}." if sweep else "- Swept: nothing besides the regimes.",
        ]
    return [
        *conditions,
        f"- Model overrides for every run: {', '.join(f'`{b}`' for b in exp.base)}."
        if exp.base
        else "- Model overrides for every run: none (the model's defaults).",
        f"- Population {populations}: {distinct([c.population.n_citizens for c in configs])} citizens; "
        f"horizon {distinct([c.days for c in configs])} days.",
        f"- {len(plan.conditions)} conditions × {exp.replicates} replicates = {len(plan.runs)} runs. "
        f"Replicate seeds: `numpy.random.SeedSequence({exp.seed}).spawn({exp.replicates})`; every condition uses "
        "the same seeds (common random numbers), so differences between conditions are paired.",
        f"- Outcomes are each run's summary over its final {window} days (`metrics.summary_days`); "
        "time series are 30-day rolling values per day.",
        f"- {CI_METHOD}",
    ]


FILES = (
    ("runs.csv", "one row per run: condition, regime, swept values, replicate, seed, run id, every summary outcome"),
    ("summary.csv", "per condition and outcome: n, mean, sd, 95 % CI"),
    ("timeseries.csv.gz", "per condition, day and outcome: n, mean, 95 % CI"),
    ("contrasts.csv", "paired differences between two regimes (same seeds, same swept values): n, mean, sd, 95 % CI"),
    ("manifest.json", "resolved configs, overrides, seeds, versions, git commit, SHA-256 of every file"),
)


def report_md(plan: Plan, tables: dict[str, pd.DataFrame], figure_files: dict[str, str], extras: list[Extra]) -> str:
    exp = plan.experiment
    fmts = formats(tables["summary"])
    parts: list[str] = [f"# Experiment `{exp.name}`", ""]
    if exp.question:
        parts += [f"**Question.** {exp.question.strip()}", ""]
    parts += [*answer(plan, tables, fmts, extras), ""]
    shown = list(dict.fromkeys([*exp.outcomes, *(o for f in exp.figures for o in f.outcomes)]))
    parts += glossary(plan, shown, fmts)
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
            *results_tables(tables["summary"], list(exp.outcomes), fmts, plan.conditions),
            "**Reading.**",
            "",
            *(f"- {reading_across(plan, tables['summary'], o, fmts)}" for o in exp.table),
            "",
        ]
    if exp.baseline:
        parts += baseline_section(plan, tables["contrasts"], fmts)
    if exp.figures:
        parts += ["## Figures", ""]
    for spec in exp.figures:
        title = spec.title or spec.name.replace("_", " ")
        parts += [f"### {title}", "", f"![{title}]({figure_files[spec.name]})", ""]
        if spec.caption:
            parts += [spec.caption.strip(), ""]
        parts += ["**Reading.**", "", *(f"- {r}" for r in figure_readings(plan, spec, tables, fmts)), ""]
    present = [(f, d) for f, d in FILES if f != "contrasts.csv" or not tables["contrasts"].empty]
    present[-1:-1] = [note for extra in extras for note in extra.file_notes]
    parts += ["## Files", "", *(f"- `{f}`: {d}." for f, d in present), ""]
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
    return [
        f"  {run.condition.label}, replicate {run.replicate} (seed {run.seed}, run {run.run_id}): {err}"
        for run, err in failed
    ]
