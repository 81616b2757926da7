"""Morris elementary-effects screening of an experiment's `design` (SALib).

The design (`design:` in the experiment file) names numeric config keys with
a range each. `design_matrix` draws the Morris trajectories with SALib
(`SALib.sample.morris.sample`, seeded): r trajectories of k + 1 points on a
grid of `levels` levels, each point a condition of the experiment, run with
the experiment's replicate seeds like any other condition (cache, resume,
any launcher, verify). Whole-number keys are rounded to the nearest whole
number when the point is run; the analysis uses the grid as sampled.

After the runs, `analyse` averages each outcome over the replicates of every
design point (a stochastic model's noise would otherwise inflate the
elementary effects, sigma above all) and calls `SALib.analyze.morris.analyze`
per outcome: mu (mean elementary effect, signed), mu_star (mean absolute
effect: the ranking), sigma (spread of the effects: non-linearity or
interaction) and a bootstrap 95 % interval of mu_star. Effects are in the
outcome's units per step of the normalised [0, 1] range, so parameters with
different units compare directly.

Replicate noise sets a floor under mu_star. Every design point runs the same
replicate seeds (common random numbers), so an elementary effect is a paired
difference, and its noise is the spread of that difference between the
replicates, not that of two independent runs: for parameter p and outcome y,
the variance of the replicate-mean effect, var(EE_rep) / n, is pooled over
p's r steps (s_p^2). Its mu_star, the mean of r absolute values of pure noise,
has mean sqrt(2/pi) s_p and standard deviation sqrt(1 - 2/pi) s_p / sqrt(r);
the noise floor is that mean plus 1.645 standard deviations (normal
approximation): a parameter with no systematic effect stays below it 95 % of
the time. A parameter that changes nothing leaves every paired effect at
exactly 0, so its floor and mu_star are both 0 and it is below the floor.
Where fewer than two replicates have a defined effect at every step of a
parameter (no paired effect to measure), the independent floor stands in.
`independent_floor` is the same level for independent runs (e = sqrt(2/n) s /
delta, s the pooled replicate standard deviation at a point), the floor a
screen without common random numbers would need; it is reported for
comparison. Parameters below the floor on every outcome are listed as inert.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from experiments.aggregate import outcome_columns
from experiments.designs import problem
from experiments.figures import plt, png
from experiments.labels import LABELS, NumberFormat, label, number_format
from experiments.report import Extra, md_table, num

if TYPE_CHECKING:
    from experiments.plan import Plan

RANKING = "morris.csv"
CONFIRMATION = "confirmation.csv"
CONF_LEVEL = 0.95


def delta(levels: int) -> float:
    return levels / (2 * (levels - 1))


def noise_floor(sd: float, replicates: int, step: float, trajectories: int) -> float:
    """The independent-runs floor: the mu_star of a parameter without effect, replicate noise `sd` at each point."""
    return float(mu_star_floor(math.sqrt(2 / replicates) * sd / step, trajectories))


def paired_noise(
    plan: Plan, runs: pd.DataFrame, outcomes: list[str], x: np.ndarray, bounds: list[list[float]]
) -> np.ndarray:
    """Per parameter and outcome: s_p, the standard deviation of a replicate-mean elementary effect.

    From the replicates' paired effects at each of the parameter's r steps (same seeds at
    both points), their variance over n, averaged over the steps (module docstring).
    """
    design = plan.experiment.design
    assert design is not None
    n = plan.experiment.replicates
    k = x.shape[1]
    row = {c.index: i for i, c in enumerate(plan.conditions)}
    y = np.full((len(plan.conditions), n, len(outcomes)), np.nan)
    for rep, block in runs.groupby("replicate"):
        y[block["condition"].map(row).to_numpy(), int(rep)] = block[outcomes].to_numpy(dtype=float)
    span = np.array([hi - lo for lo, hi in bounds])
    var = np.full((design.trajectories, k, len(outcomes)), np.nan)
    for t, start in enumerate(range(0, len(x), k + 1)):  # a trajectory: k + 1 points, one parameter per step
        for j in range(start, start + k):
            step = (x[j + 1] - x[j]) / span
            p = int(np.flatnonzero(step)[0])
            effect = (y[j + 1] - y[j]) / step[p]  # (replicates, outcomes); NaN where a replicate is undefined
            valid = np.isfinite(effect).sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                var[t, p] = np.where(valid >= 2, np.nanvar(effect, axis=0, ddof=1) / valid, np.nan)
    with warnings.catch_warnings():  # a parameter whose every step is undefined: NaN, left to the caller
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.sqrt(np.nanmean(var, axis=0))


def mu_star_floor(sd: np.ndarray | float, trajectories: int) -> np.ndarray | float:
    """The mu_star that r absolute effects of pure noise with standard deviation `sd` stay below 95 % of the time."""
    return sd * (math.sqrt(2 / math.pi) + 1.645 * math.sqrt(1 - 2 / math.pi) / math.sqrt(trajectories))


def point_means(plan: Plan, runs: pd.DataFrame, outcomes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per design point: the replicate mean of each outcome, and the replicate variance (ddof=1)."""
    block = runs.sort_values(["condition", "replicate"])
    grouped = block.groupby("condition", sort=True)[outcomes]
    means = grouped.mean().reindex([c.index for c in plan.conditions]).to_numpy(dtype=float)
    var = grouped.var(ddof=1).reindex([c.index for c in plan.conditions]).to_numpy(dtype=float)
    return means, var


def ranking_table(plan: Plan, runs: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """One row per outcome and parameter, ranked by mu_star; and notes on outcomes that could not be analysed."""
    from SALib.analyze import morris as morris_analyze

    design = plan.experiment.design
    assert design is not None
    prob = problem(design)
    x = np.array([[c.given[k] for k in prob["names"]] for c in plan.conditions], dtype=float)
    available = outcome_columns(runs, plan)
    outcomes = [o for o in plan.experiment.outcomes if o in available]
    means, var = point_means(plan, runs, outcomes)
    n = plan.experiment.replicates
    step = delta(design.levels)
    paired = mu_star_floor(paired_noise(plan, runs, outcomes, x, prob["bounds"]), design.trajectories)
    rows, notes = [], []
    for j, outcome in enumerate(outcomes):
        y = means[:, j]
        if not np.isfinite(y).all():
            bad = int((~np.isfinite(y)).sum())
            notes.append(f"{label(outcome)}: undefined at {bad} of {len(y)} design points; not analysed.")
            continue
        si = morris_analyze.analyze(
            prob,
            x,
            y,
            num_resamples=design.resamples,
            conf_level=CONF_LEVEL,
            num_levels=design.levels,
            seed=design.seed,
        )
        pooled = float(np.sqrt(np.nanmean(var[:, j]))) if n >= 2 else float("nan")
        independent = noise_floor(pooled, n, step, design.trajectories)
        order = np.argsort(-np.asarray(si["mu_star"], dtype=float), kind="stable")
        for rank, i in enumerate(order, start=1):
            mu_star = float(si["mu_star"][i])
            # where replicates are undefined (no paired effect to measure), the independent floor stands in
            floor = float(paired[i, j]) if np.isfinite(paired[i, j]) else independent
            sigma = float(si["sigma"][i])
            rows.append(
                {
                    "outcome": outcome,
                    "rank": rank,
                    "parameter": prob["names"][i],
                    "low": prob["bounds"][i][0],
                    "high": prob["bounds"][i][1],
                    "mu_star": mu_star,
                    "mu_star_conf": float(si["mu_star_conf"][i]),
                    "mu": float(si["mu"][i]),
                    "sigma": sigma,
                    "sigma_over_mu_star": sigma / mu_star if mu_star > 0 else float("nan"),
                    "noise_floor": floor,
                    "above_noise": bool(mu_star > floor),
                    "independent_floor": independent,
                }
            )
    return pd.DataFrame(rows), notes


def short_label(key: str) -> str:
    text = label(key)
    return text if text != key.replace("_", " ") else key.split(".", 1)[-1]


def chart(outcome: str, table: pd.DataFrame, title: str) -> bytes:
    """mu_star (x, with its bootstrap 95 % interval) against sigma (y), one labelled point per parameter."""
    rows = table[table["outcome"] == outcome]
    fig, ax = plt.subplots(figsize=(7.2, 5.4))
    x = rows["mu_star"].to_numpy(dtype=float)
    y = rows["sigma"].to_numpy(dtype=float)
    above = rows["above_noise"].to_numpy(dtype=bool)
    xerr = rows["mu_star_conf"].to_numpy(dtype=float)
    for keep, face, name in ((above, "tab:blue", "above its noise floor"), (~above, "none", "within noise")):
        ax.errorbar(
            x[keep],
            y[keep],
            xerr=xerr[keep],
            fmt="o",
            ms=5,
            mfc=face,
            color="tab:blue",
            ecolor="tab:blue",
            elinewidth=0.8,
            capsize=2,
            alpha=0.85,
            label=name,
        )
    conf = rows["mu_star_conf"].to_numpy(dtype=float)
    right = max(float(np.nanmax(x + conf)) if len(x) else 1.0, 1e-12) * 1.3
    top = max(float(np.nanmax(y)) if len(y) else 1.0, 1e-12) * 1.15
    line = min(right, top)
    ax.plot([0, line], [0, line], color="grey", lw=0.8, ls="--", label="σ = μ*")
    for _, r in rows.iterrows():
        if r["rank"] <= 6 or r["mu_star"] >= 0.25 * float(np.nanmax(x)):
            ax.annotate(
                short_label(r["parameter"]),
                (r["mu_star"], r["sigma"]),
                fontsize=7.5,
                xytext=(4, 3),
                textcoords="offset points",
            )
    ax.set_xlim(0, right)
    ax.set_ylim(0, top)
    ax.set_xlabel("μ* (mean absolute elementary effect)")
    ax.set_ylabel("σ (spread of the elementary effects)")
    ax.set_title(f"{title}: {label(outcome)}", fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", frameon=False)
    fig.tight_layout()
    return png(fig)


def _reading(outcome: str, rows: pd.DataFrame, fmt: NumberFormat) -> str:
    name = label(outcome)
    name = name[:1].upper() + name[1:]
    top = rows.sort_values("rank")
    above = top[top["above_noise"]].head(3)
    if above.empty:
        return f"{name}: no parameter stands out from replicate noise."
    lead = [f"{short_label(r['parameter'])} (μ* {fmt(r['mu_star'])})" for _, r in above.iterrows()]
    text = f"{name} is driven most by " + ", then ".join(lead)
    text += f"; {int(top['above_noise'].sum())} of {len(top)} parameters exceed their noise floor"
    nonlinear = [short_label(r["parameter"]) for _, r in above.iterrows() if r["sigma"] > r["mu_star"]]
    if nonlinear:
        text += f"; σ > μ* for {', '.join(nonlinear)} (non-linear or interacting)"
    signs = [
        f"{short_label(r['parameter'])} {'raises' if r['mu'] > 0 else 'lowers'} it"
        for _, r in above.iterrows()
        if abs(r["mu"]) >= 0.8 * r["mu_star"]
    ]
    return text + ("; " + ", ".join(signs) if signs else "") + "."


def inert(table: pd.DataFrame) -> list[str]:
    """The parameters whose μ* is below the noise floor on every analysed outcome: the inert ones."""
    if table.empty:
        return []
    return [p for p, block in table.groupby("parameter", sort=False) if not block["above_noise"].any()]


def confirmation(table: pd.DataFrame, hypotheses: dict[str, str]) -> pd.DataFrame:
    """Per pre-registered hypothesis (parameter -> outcome): mu_star, its floor, their ratio and the verdict.

    Each parameter is tested once, on the outcome named before the runs, so the other outcomes of the
    screen do not multiply its chances of clearing a 95 % floor by luck.
    """
    keys = pd.MultiIndex.from_tuples(list(hypotheses.items()), names=["parameter", "outcome"])
    columns = ["mu_star", "noise_floor", "mu", "above_noise"]
    found = table.set_index(["parameter", "outcome"])[columns] if not table.empty else pd.DataFrame(columns=columns)
    checks = found.reindex(keys).reset_index()  # NaN where the outcome was not analysed (undefined somewhere)
    checks.insert(4, "ratio", (checks["mu_star"] / checks["noise_floor"]).where(checks["noise_floor"] > 0))
    checks["confirmed"] = checks.pop("above_noise").eq(True)
    return checks


def _confirmation_md(checks: pd.DataFrame) -> tuple[list[str], str]:
    """The report's confirmation section and its one-line verdict."""
    rows = [
        [
            f"`{r.parameter}` ({short_label(r.parameter)})",
            label(r.outcome),
            f"{r.mu_star:.4g}",
            f"{r.noise_floor:.4g}",
            f"{r.ratio:.2f}" if np.isfinite(r.ratio) else "–",  # no floor: the parameter changed nothing
            f"{r.mu:+.4g}",
            "confirmed" if r.confirmed else "**not confirmed**",
        ]
        for r in checks.itertuples()
    ]
    missed = [f"`{p}`" for p in checks.loc[~checks["confirmed"], "parameter"]]
    verdict = f"{int(checks['confirmed'].sum())} of {len(checks)} pre-registered predictions confirmed" + (
        f"; not confirmed: {', '.join(missed)}" if missed else ""
    )
    md = [
        "### Confirmation of pre-registered predictions",
        "",
        "Each parameter was predicted, before these runs, to move one outcome above its noise floor "
        "(`design.hypotheses`); it is tested on that outcome alone.",
        "",
        *md_table(["parameter", "predicted outcome", "μ*", "noise floor", "μ*/floor", "μ", "verdict"], rows, "llrrrrl"),
        "",
        f"**Verdict**: {verdict}.",
        "",
    ]
    return md, verdict


def analyse(plan: Plan, runs: pd.DataFrame) -> Extra:
    exp = plan.experiment
    design = exp.design
    assert design is not None
    table, notes = ranking_table(plan, runs)
    files: dict[str, bytes] = {RANKING: table.to_csv(index=False, lineterminator="\n").encode()}
    outcomes = list(dict.fromkeys(table["outcome"])) if not table.empty else []
    fmts = {o: number_format(o, table.loc[table["outcome"] == o, "mu_star"]) for o in outcomes}
    figures = [(o, f"morris_{o}.png") for o in outcomes]
    files.update({f: chart(o, table, exp.name) for o, f in figures})
    k = len(design.parameters)
    quiet = inert(table)
    quiet_text = (
        f"below the replicate-noise floor on every outcome ({len(quiet)} of {k}): "
        + ", ".join(f"`{p}`" + (f" ({label(p)})" if p in LABELS else "") for p in quiet)
        if quiet
        else f"none of the {k} parameters is below the noise floor on every outcome"
    )
    flat = _outside(plan)

    def value(v: Any) -> str:  # a parameter value as written, small ones without exponent notation
        return (
            num(v) if isinstance(v, float) and 0 < abs(v) < 0.01 else f"{v:g}" if isinstance(v, float | int) else str(v)
        )

    ranges = [
        [f"`{p}` ({short_label(p)})", f"{value(lo)} – {value(hi)}", value(flat.get(p, "–"))]
        for p, (lo, hi) in design.parameters.items()
    ]
    md = [
        "## Morris screening",
        "",
        f"Elementary effects (Morris 1991, with μ* of Campolongo et al. 2007) computed by SALib: {k} parameters, "
        f"r = {design.trajectories} trajectories on a {design.levels}-level grid = {len(plan.conditions)} design "
        f"points (`SALib.sample.morris.sample`, seed {design.seed}), each run with {exp.replicates} replicate "
        "seeds and averaged over them before the analysis. μ* ranks the parameters (mean absolute effect, in the "
        "outcome's units per step of the normalised range), μ is its signed mean, σ the spread of the effects "
        f"(σ > μ* suggests non-linearity or interactions); [±] is a bootstrap {CONF_LEVEL:.0%} interval of μ* "
        f"({design.resamples} resamples). Every point runs the same replicate seeds, so each elementary effect is "
        "a paired difference; a parameter's noise floor is the μ* that effects of pure noise with the spread of "
        "its paired replicate effects stay below 95 % of the time (a parameter that changes nothing has floor and "
        "μ* 0). The floor a screen of independent runs would need is given for comparison (module docstring of "
        "`experiments/sensitivity.py`).",
        "",
        *md_table(["parameter", "range", "value in the regime"], ranges),
        "",
        f"**Inert parameters**: {quiet_text}.",
        "",
    ]
    verdict = ""
    if design.hypotheses:
        checks = confirmation(table, design.hypotheses)
        files[CONFIRMATION] = checks.to_csv(index=False, lineterminator="\n").encode()
        section, verdict = _confirmation_md(checks)
        md += section
    if outcomes:
        rows = []
        for rank in range(1, k + 1):
            cells = []
            for o in outcomes:
                r = table[(table["outcome"] == o) & (table["rank"] == rank)].iloc[0]
                star = "*" if r["above_noise"] else ""
                cells.append(
                    f"{short_label(r['parameter'])} {fmts[o](r['mu_star'])} ±{fmts[o](r['mu_star_conf'])}{star}"
                )
            rows.append([str(rank), *cells])
        header = ["rank", *(label(o) + (f" ({fmts[o].unit})" if fmts[o].unit else "") for o in outcomes)]
        floors = ", ".join(
            f"{label(o)} {fmts[o](float(table[table['outcome'] == o]['independent_floor'].iloc[0]))}" for o in outcomes
        )
        md += ["### Ranking (μ* and its 95 % interval; * = above its noise floor)", "", *md_table(header, rows, "rl")]
        md += [
            "",
            "Each parameter's own noise floor is in `morris.csv` (`noise_floor`). For comparison, the floor "
            f"of μ* for independent runs: {floors}.",
            "",
        ]
    readings = [_reading(o, table[table["outcome"] == o], fmts[o]) for o in outcomes]
    md += ["**Reading.**", "", *(f"- {r}" for r in readings), *(f"- {n}" for n in notes), ""]
    for outcome, file in figures:
        title = f"μ* and σ: {label(outcome)}"
        md += [f"### {title}", "", f"![{title}]({file})", ""]
    console = ["Morris ranking (top 3 by mu_star; * above the noise floor):"]
    for o in outcomes:
        top = table[table["outcome"] == o].sort_values("rank").head(3)
        parts = [
            f"{short_label(r['parameter'])} {fmts[o](r['mu_star'])}{'*' if r['above_noise'] else ''}"
            for _, r in top.iterrows()
        ]
        console.append(f"  {label(o)}: " + "; ".join(parts))
    console += [*(f"  {n}" for n in notes), f"  inert: {', '.join(quiet) or 'none'}"]
    if verdict:
        console.append(f"  {verdict}")
    file_notes = [
        (
            RANKING,
            "per outcome and parameter: rank, range, μ*, its 95 % bootstrap half-width, μ, σ, "
            "σ/μ*, the paired noise floor, whether μ* is above it, and the independent-runs floor",
        )
    ]
    if verdict:
        file_notes.append((CONFIRMATION, "per pre-registered hypothesis: μ*, its noise floor, their ratio, μ, verdict"))
    file_notes += [(f, f"μ* against σ for {label(o)}") for o, f in figures]
    answer = [*([f"- {verdict[0].upper()}{verdict[1:]}."] if verdict else []), f"- Parameters {quiet_text}."]
    answer += [f"- {r}" for r in readings]
    return Extra(files, md, "\n".join(console), file_notes, replaces_results=True, answer=answer)


def _outside(plan: Plan) -> dict[str, Any]:
    """The config of the design's regime (with the experiment's base), outside the design."""
    from sim.api import load_config
    from sim.config import flatten

    design = plan.experiment.design
    assert design is not None
    return flatten(load_config([*plan.experiment.base, f"policy={design.regime}"]))
