"""ClassroomModel: a GovSimModel built from dashboard settings, with an optional twin.

The twin is a second GovSimModel under another regime on the same town (same
seed, population and town levers); stepping the classroom model steps both,
so the class watches two regimes side by side, day by day.

Policy levers change the running model through the model's own
`set_lever` (validated like the config, acting from the next day on); the
days that matter for the plots (audits held, the hub opening, lever changes)
are read off the models as they run, never recomputed here.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from dashboard.settings import Settings
from sim.config import declarations
from sim.model import GovSimModel


def _resolve(settings: Any) -> Settings:
    """Settings, or a reactive holding them."""
    if settings is None:
        return Settings()
    if isinstance(settings, Settings):
        return settings
    value = getattr(settings, "value", None)
    if isinstance(value, Settings):
        return value
    raise TypeError(f"settings must be Settings, not {type(settings).__name__}")


@dataclass(frozen=True)
class Event:
    """Something that happened in one run on a given day (a plot marker)."""

    run: int  # 0: this model, 1: the twin
    day: float
    kind: str  # "audit", "hub", "lever"
    label: str


def _audits_held(model: GovSimModel) -> int:
    return int(getattr(getattr(model, "authority", None), "audits_held", 0))


def _hub_open(model: GovSimModel) -> bool:
    return bool(getattr(model, "hub_active", False))


class ClassroomModel(GovSimModel):
    """GovSimModel with keyword-argument construction and a comparison twin.

    >>> m = ClassroomModel(policy="quota", compare="training", seed=3, policy__audit__quota=20)
    >>> m.step(); m.day, m.twin.day
    (1, 1)

    Raises sim.config.ConfigError (one line) for a value the model refuses.
    """

    def __init__(self, settings: Any = None, **levers: Any) -> None:
        s = Settings.from_kwargs(_resolve(settings), **levers) if levers else _resolve(settings)
        cfg, twin_cfg = s.configs()
        super().__init__(cfg)
        self.settings = s
        # the page steps the model in its play thread while a click may read it or change a
        # lever from another: both hold this lock, so nobody sees half a day
        self.lock = threading.RLock()
        self.twin: GovSimModel | None = GovSimModel(twin_cfg) if twin_cfg is not None else None
        self.events: list[Event] = []
        self._seen = [(_audits_held(r), _hub_open(r)) for r in self.runs]

    @property
    def runs(self) -> list[GovSimModel]:
        """The models on screen: this one, then the twin if any."""
        return [self] if self.twin is None else [self, self.twin]

    @property
    def regime_names(self) -> list[str]:
        return [m.cfg.policy.name for m in self.runs]

    @property
    def finished(self) -> bool:
        return self.day >= self.cfg.days

    def step(self) -> None:
        with self.lock:
            if self.finished:  # the recorder is sized for cfg.days
                self.running = False
                return
            super().step()
            if self.twin is not None:
                self.twin.step()
            self._observe()
            if self.finished:
                self.running = False

    def advance(self, days: int) -> int:
        """Step up to `days` days (fewer at the end of the run); returns the days stepped."""
        done = 0
        with self.lock:
            while done < days and not self.finished:
                self.step()
                done += 1
        return done

    def _observe(self) -> None:
        for r, run in enumerate(self.runs):
            audits, hub = self._seen[r]
            now_audits, now_hub = _audits_held(run), _hub_open(run)
            if now_audits > audits:  # audits fire between days: before the day just stepped
                self.events.append(Event(r, run.day - 0.5, "audit", "audit"))
            if now_hub and not hub:
                self.events.append(Event(r, run.day, "hub", "hub opens"))
            elif hub and not now_hub:
                self.events.append(Event(r, run.day, "hub", "hub closes"))
            self._seen[r] = (now_audits, now_hub)

    def apply_lever(self, key: str, value: Any, both: bool) -> None:
        """Change a lever in the running town (and the twin's, for a town lever) from the next day on.

        Raises sim.config.ConfigError (one line) if the model refuses the value; nothing changes then.
        """
        with self.lock:
            targets = self.runs if both else [self]
            for run in targets:
                run.set_lever(key, value)
            for run in targets:
                r = self.runs.index(run)
                day, changed, new = run.lever_changes[-1]
                self.events.append(Event(r, float(day), "lever", lever_label(changed, new)))


def lever_label(key: str, value: Any) -> str:
    """A plot marker's label for a lever change: `quota 30`, `hub on`."""
    name = declarations()[key].metadata["short"] or key.rsplit(".", 1)[-1]
    if isinstance(value, bool):
        return f"{name} {'on' if value else 'off'}"
    if isinstance(value, float):
        return f"{name} {value:g}"
    return f"{name} {value}"
