"""Figures of an experiment: time series with CI bands, bars with CI whiskers, heat maps.

Every figure is rendered from the tidy tables (never from the raw cache), with
the Agg backend and no timestamp in the PNG, so the same tables and the same
matplotlib give byte-identical files.
"""

from __future__ import annotations

import _thread
import io
import itertools
import math
import multiprocessing
import os
import signal
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm

from experiments.labels import SHARES, label, number_format
from experiments.plan import Condition, Plan, fmt_value
from experiments.spec import FigureSpec

DPI = 100


def png(fig: plt.Figure) -> bytes:
    """The figure as PNG bytes without a timestamp (the one writer of every figure of the experiments)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None}, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _colors(n: int) -> list[Any]:
    if n <= 10:
        return [plt.get_cmap("tab10")(i) for i in range(n)]
    if n <= 20:
        return [plt.get_cmap("tab20")(i) for i in range(n)]
    return [plt.get_cmap("viridis")(i / max(n - 1, 1)) for i in range(n)]


def _grid(n: int, ncols: int = 3) -> tuple[int, int]:
    ncols = min(ncols, n)
    return math.ceil(n / ncols), ncols


def _below_title(fig: plt.Figure, lines: int = 1) -> tuple[float, float, float, float]:
    """The area tight_layout may fill: all but the suptitle's lines (0.3 inch each) at the top."""
    return (0, 0, 1, 1 - 0.3 * lines / fig.get_figheight())


def _title(spec: FigureSpec, plan: Plan, default: str) -> str:
    return spec.title or f"{plan.experiment.name}: {default}"


SMALL_MULTIPLES = 4  # more conditions than this: one panel per condition and outcome, the others in grey


def timeseries_png(spec: FigureSpec, plan: Plan, ts: pd.DataFrame) -> bytes:
    """One panel per outcome with a line and CI band per condition; beyond four conditions, small multiples."""
    conds, outcomes = plan.conditions, spec.outcomes
    if len(conds) <= SMALL_MULTIPLES:
        nrows, ncols = _grid(len(outcomes))
        panels = [(outcome, None) for outcome in outcomes]
    else:
        nrows, ncols = len(outcomes), len(conds)
        panels = [(outcome, cond) for outcome in outcomes for cond in conds]
    size = (5 * ncols, 3.4 * nrows) if len(conds) <= SMALL_MULTIPLES else (2.3 * ncols + 0.8, 1.8 * nrows + 0.6)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=size, squeeze=False, sharex=True, sharey="row" if ncols > 3 else False
    )
    colors = dict(zip([c.index for c in conds], _colors(len(conds)), strict=True))
    # each (outcome, condition)'s rows, found in one pass (a panel draws every condition's line)
    lines = dict(iter(ts[ts["outcome"].isin(outcomes)].groupby(["outcome", "condition"], sort=False)))
    empty = ts.iloc[:0]
    for ax, (outcome, own) in zip(axes.ravel(), panels, strict=False):
        for cond in conds:
            rows = lines.get((outcome, cond.index), empty)
            if own is not None and cond is not own:
                ax.plot(rows["day"], rows["mean"], color="0.8", lw=0.8, zorder=1)
                continue
            ax.plot(rows["day"], rows["mean"], color=colors[cond.index], lw=1.4, label=cond.label, zorder=3)
            ax.fill_between(rows["day"], rows["ci_low"], rows["ci_high"], color=colors[cond.index], alpha=0.2, lw=0)
        ax.grid(alpha=0.3)
        if own is None:
            ax.set_title(label(outcome), fontsize=10)
        else:
            if own is conds[0]:
                ax.set_ylabel(label(outcome), fontsize=8)
            if outcome == outcomes[0]:
                ax.set_title(own.label, fontsize=9)
            ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(panels) :]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("day", fontsize=8)
    what = "time series, mean and 95 % CI band"
    if len(conds) > SMALL_MULTIPLES:
        fig.suptitle(
            _title(spec, plan, what) + "\n(one column per condition; the other conditions in grey)", fontsize=11
        )
        fig.tight_layout(rect=_below_title(fig, 2))
        return png(fig)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), fontsize=8, frameon=False)
    fig.suptitle(_title(spec, plan, what), fontsize=12)
    fig.tight_layout(rect=(0, 0.04 + 0.025 * math.ceil(len(labels) / 4), 1, 0.97))
    return png(fig)


def bars_png(spec: FigureSpec, plan: Plan, summary: pd.DataFrame) -> bytes:
    """Horizontal bars, one panel per outcome; conditions share the y axis (labels once, on the left)."""
    nrows, ncols = _grid(len(spec.outcomes), 4)
    n = len(plan.conditions)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(3.6 * ncols + 2.5, max(2.2, 0.32 * n + 1.2) * nrows), squeeze=False, sharey=True
    )
    colors = _colors(n)
    y = np.arange(n)[::-1]  # first condition on top
    shares = summary[summary["outcome"].isin([o for o in spec.outcomes if o in SHARES])]
    top = min(1.0, float(np.nanmax(shares["ci_high"], initial=0.0)) * 1.05) or 1.0  # one scale for every share
    for ax, outcome in zip(axes.ravel(), spec.outcomes, strict=False):
        block = summary[summary["outcome"] == outcome].set_index("condition").loc[[c.index for c in plan.conditions]]
        mean = block["mean"].to_numpy(dtype=float)
        err = np.vstack([mean - block["ci_low"].to_numpy(dtype=float), block["ci_high"].to_numpy(dtype=float) - mean])
        ax.barh(y, mean, color=colors, xerr=err, capsize=2.5, error_kw={"lw": 1})
        ax.set_title(label(outcome), fontsize=10)
        ax.grid(alpha=0.3, axis="x")
        ax.axvline(0, color="black", lw=0.6)
        if outcome in SHARES:
            ax.set_xlim(0, top)
    for ax in axes[:, 0]:
        ax.set_yticks(y, [c.label for c in plan.conditions], fontsize=8)
    for ax in axes.ravel()[len(spec.outcomes) :]:
        ax.set_visible(False)
    note = " (shares on one scale)" if len(shares["outcome"].unique()) > 1 else ""
    fig.suptitle(_title(spec, plan, "mean and 95 % CI per condition") + note, fontsize=12)
    fig.tight_layout(rect=_below_title(fig))
    return png(fig)


def facets(plan: Plan, spec: FigureSpec) -> list[dict[str, Any]]:
    """The panel rows of a heat map: one per combination of the keys not on its axes."""
    keys = [k for k in plan.swept if k not in (spec.x, spec.y)]
    dims: list[tuple[str, list[Any]]] = [(k, plan.experiment.sweep[k]) for k in keys]
    if not spec.contrast and len(plan.experiment.regimes) > 1:
        dims.insert(0, ("regime", list(plan.experiment.regimes)))
    return [dict(zip([k for k, _ in dims], combo, strict=True)) for combo in itertools.product(*(v for _, v in dims))]


def _matches(cond: Condition, facet: dict[str, Any]) -> bool:
    return all((cond.regime if k == "regime" else cond.given[k]) == v for k, v in facet.items())


def heatmap_cells(
    plan: Plan, spec: FigureSpec, facet: dict[str, Any], outcome: str, summary: pd.DataFrame, contrasts: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """(mean, significant) arrays of shape (len(y values), len(x values))."""
    xs, ys = plan.experiment.sweep[spec.x], plan.experiment.sweep[spec.y]
    mean = np.full((len(ys), len(xs)), np.nan)
    sig = np.zeros((len(ys), len(xs)), dtype=bool)
    if spec.contrast:
        a, b = spec.contrast
        table = contrasts[(contrasts["contrast"] == f"{a} - {b}") & (contrasts["outcome"] == outcome)]
        table = table.set_index("condition_a")
        conds = [c for c in plan.conditions if c.regime == a and _matches(c, facet)]
    else:
        table = summary[summary["outcome"] == outcome].set_index("condition")
        conds = [c for c in plan.conditions if _matches(c, facet)]
    for cond in conds:
        i, j = ys.index(cond.given[spec.y]), xs.index(cond.given[spec.x])
        row = table.loc[cond.index]
        mean[i, j] = row["mean"]
        sig[i, j] = bool(row["ci_low"] > 0 or row["ci_high"] < 0)
    return mean, sig


def heatmap_png(spec: FigureSpec, plan: Plan, summary: pd.DataFrame, contrasts: pd.DataFrame) -> bytes:
    rows = facets(plan, spec)
    xs, ys = plan.experiment.sweep[spec.x], plan.experiment.sweep[spec.y]
    nrows, ncols = len(rows), len(spec.outcomes)
    cell = 0.75
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(max(3.6, cell * len(xs) + 2.2) * ncols, max(2.8, cell * len(ys) + 1.6) * nrows),
        squeeze=False,
    )
    cells = [[heatmap_cells(plan, spec, facet, o, summary, contrasts) for o in spec.outcomes] for facet in rows]
    # one colour scale per outcome, shared by its panels, so rows can be compared by eye
    columns = [np.concatenate([row[c][0].ravel() for row in cells]) for c in range(ncols)]
    for r, facet in enumerate(rows):
        for c, outcome in enumerate(spec.outcomes):
            ax, (mean, sig), finite = axes[r, c], cells[r][c], columns[c][np.isfinite(columns[c])]
            if spec.contrast:
                bound = float(np.abs(finite).max()) if finite.size else 1.0
                bound = bound if bound > 0 else 1.0
                im = ax.imshow(mean, origin="lower", cmap="RdBu", norm=TwoSlopeNorm(0.0, -bound, bound), aspect="auto")
            else:
                lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
                im = ax.imshow(
                    mean, origin="lower", cmap="viridis", vmin=lo, vmax=hi if hi > lo else lo + 1e-12, aspect="auto"
                )
            fmt = number_format(outcome, finite)
            for i, j in itertools.product(range(len(ys)), range(len(xs))):
                if np.isfinite(mean[i, j]):
                    text = fmt(mean[i, j], signed=bool(spec.contrast)) + ("*" if spec.contrast and sig[i, j] else "")
                    ax.text(
                        j,
                        i,
                        text,
                        ha="center",
                        va="center",
                        fontsize=8,
                        color="black",
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "alpha": 0.6, "lw": 0},
                    )
            ax.set_xticks(range(len(xs)), [fmt_value(v) for v in xs], fontsize=8)
            ax.set_yticks(range(len(ys)), [fmt_value(v) for v in ys], fontsize=8)
            ax.set_xlabel(label(spec.x), fontsize=9)
            ax.set_ylabel(label(spec.y), fontsize=9)
            head = label(outcome) + (f" ({fmt.unit})" if fmt.unit else "")
            if spec.contrast:
                head = f"{head}:\n{spec.contrast[0]} − {spec.contrast[1]}"
            where = ", ".join(f"{plan.names[k]}={fmt_value(v)}" for k, v in facet.items())
            ax.set_title(head + (f"\n{where}" if where else ""), fontsize=9)
            fig.colorbar(im, ax=ax, shrink=0.85)
    what = "paired difference (* : 95 % CI excludes 0)" if spec.contrast else "mean over replicates"
    fig.suptitle(_title(spec, plan, what), fontsize=12)
    fig.tight_layout(rect=_below_title(fig))
    return png(fig)


# the tables each kind of figure reads
READS = {"timeseries": {"timeseries"}, "bars": {"summary"}, "heatmap": {"summary", "contrasts"}}


class FigureDrawing:
    """An experiment's figures, each started as soon as the tables it reads are there (a context manager).

    Matplotlib draws on one core, so with several figures and several cores each figure is drawn in a
    forked copy of this process (the same matplotlib state: the same bytes) while the caller goes on
    building tables and writing files. On one core, where fork is not available, or when another
    thread runs (a fork copies no thread, and a lock it held would stay held), they are drawn in turn,
    here. The tables given to `draw` must not change afterwards: a drawing process may read them later.
    """

    def __init__(self, specs: Sequence[FigureSpec], plan: Plan) -> None:
        self.specs, self.plan = list(specs), plan
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        workers = min(len(self.specs), cores)
        forks = "fork" in multiprocessing.get_all_start_methods() and _single_threaded()
        self.pool = (
            ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=_ignore_interrupt)
            if workers > 1 and forks
            else None
        )
        self.started: dict[str, Future[bytes] | bytes] = {}

    def __enter__(self) -> FigureDrawing:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def draw(self, tables: dict[str, pd.DataFrame]) -> None:
        """Start every figure not started yet whose tables are all in `tables`."""
        for spec in self.specs:
            if spec.name in self.started or not READS[spec.kind] <= tables.keys():
                continue
            own = {k: tables[k] for k in READS[spec.kind]}  # only what it reads goes to the drawing process
            pool = self.pool
            self.started[spec.name] = (
                pool.submit(render_figure, spec, self.plan, own) if pool else render_figure(spec, self.plan, own)
            )

    def result(self) -> dict[str, bytes]:
        """Each figure's PNG bytes, by figure name (every figure must have been started)."""
        for spec in self.specs:
            if spec.name not in self.started:
                raise RuntimeError(f"figure {spec.name!r} was never drawn: it reads {sorted(READS[spec.kind])}")
        return {name: f.result() if isinstance(f, Future) else f for name, f in self.started.items()}


def _single_threaded() -> bool:
    """Whether no other thread runs Python code here (the count Python's own fork warning goes by;
    `threading` misses threads started through `_thread`, as pytest-xdist's are)."""
    return _thread._count() == 0 and threading.active_count() == 1


def _ignore_interrupt() -> None:
    """In a drawing process: Ctrl-C is the parent's to handle (one message, not one traceback a figure)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def render_figures(specs: Sequence[FigureSpec], plan: Plan, tables: dict[str, pd.DataFrame]) -> dict[str, bytes]:
    """Each figure's PNG bytes, by figure name, from tables already built."""
    with FigureDrawing(specs, plan) as drawing:
        drawing.draw(tables)
        return drawing.result()


def render_figure(spec: FigureSpec, plan: Plan, tables: dict[str, pd.DataFrame]) -> bytes:
    if spec.kind == "timeseries":
        return timeseries_png(spec, plan, tables["timeseries"])
    if spec.kind == "bars":
        return bars_png(spec, plan, tables["summary"])
    return heatmap_png(spec, plan, tables["summary"], tables["contrasts"])
