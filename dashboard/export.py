"""Downloads for a worksheet: the run's time series as CSV, the plots as PNG."""

from __future__ import annotations

import math

import pandas as pd

from dashboard.model import ClassroomModel


def run_labels(model: ClassroomModel) -> list[str]:
    """One name per run on screen (the regime; numbered if both runs share a regime)."""
    names = model.regime_names
    if len(set(names)) < len(names):
        return [f"{n}_{i + 1}" for i, n in enumerate(names)]
    return names


def timeseries(model: ClassroomModel) -> pd.DataFrame:
    """One row per day run so far: every recorded outcome of each run, and the day's events.

    With two regimes each outcome appears once per regime, as `<regime>.<outcome>`.
    `events` lists what happened that day (audits, the hub, lever changes), as marked on the plots.
    """
    with model.lock:
        frames = [run.recorder.timeseries() for run in model.runs]
        events = list(model.events)
    labels = run_labels(model)
    days = frames[0]["day"].astype(int) if len(frames[0]) else pd.Series([], dtype=int)
    out = pd.DataFrame({"day": days.to_numpy()})
    for label, frame in zip(labels, frames, strict=True):
        data = frame.drop(columns="day").reset_index(drop=True)
        if len(model.runs) > 1:
            data.columns = [f"{label}.{c}" for c in data.columns]
        out = pd.concat([out, data], axis=1)
    notes: dict[int, list[str]] = {}
    for ev in events:
        who = f"{labels[ev.run]}: " if len(model.runs) > 1 else ""
        notes.setdefault(math.ceil(ev.day), []).append(who + ev.label)
    out["events"] = [", ".join(notes.get(int(d), [])) for d in out["day"]]
    return out


def timeseries_csv(model: ClassroomModel) -> bytes:
    return timeseries(model).to_csv(index=False).encode("utf-8")


def file_stem(model: ClassroomModel) -> str:
    return f"govsim_{'_vs_'.join(run_labels(model))}_seed{model.cfg.seed}_day{model.day}"
