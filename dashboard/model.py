"""ClassroomModel: a GovSimModel built from dashboard settings, with an optional twin.

The twin is a second GovSimModel under another regime on the same town (same
seed, population and town levers); stepping the classroom model steps both,
so the class watches two regimes side by side, day by day.
"""

from __future__ import annotations

import threading
from typing import Any

from dashboard.settings import Settings
from sim.model import GovSimModel


def _resolve(settings: Any) -> Settings:
    """Settings, or a reactive holding them (what the dashboard passes so Mesa's Reset sees the latest)."""
    if settings is None:
        return Settings()
    if isinstance(settings, Settings):
        return settings
    value = getattr(settings, "value", None)
    if isinstance(value, Settings):
        return value
    raise TypeError(f"settings must be Settings, not {type(settings).__name__}")


class ClassroomModel(GovSimModel):
    """GovSimModel with keyword-argument construction (what SolaraViz needs) and a comparison twin.

    >>> m = ClassroomModel(policy="quota", compare="training", seed=3, policy__audit__quota=20)
    >>> m.step(); m.day, m.twin.day
    (1, 1)

    Raises sim.config.ConfigError (one line) for a value the model refuses.
    """

    def __init__(self, settings: Any = None, *, scenario: Any = None, **levers: Any) -> None:
        # `scenario` is what Mesa's Reset adds; the seed lives in the settings, like on the command line
        del scenario
        s = Settings.from_kwargs(_resolve(settings), **levers) if levers else _resolve(settings)
        cfg, twin_cfg = s.configs()
        super().__init__(cfg)
        self.settings = s
        # Mesa steps the model in its play thread while the page may redraw from another
        # (a click, a pause): readers hold this lock so they never see half a day
        self.lock = threading.RLock()
        # Solara renders a click (pause, a lever) in the click's thread, and repeats the render pass
        # as long as other threads change state during it; Mesa's play thread would, every step,
        # until Solara gives up ("too many renders"). The page clears this while it draws the model,
        # and a step waits for it, so the play loop never outruns a redraw.
        self.display_idle = threading.Event()
        self.display_idle.set()
        self.twin: GovSimModel | None = GovSimModel(twin_cfg) if twin_cfg is not None else None

    @property
    def runs(self) -> list[GovSimModel]:
        """The models on screen: this one, then the twin if any."""
        return [self] if self.twin is None else [self, self.twin]

    @property
    def regime_names(self) -> list[str]:
        return [m.cfg.policy.name for m in self.runs]

    def step(self) -> None:
        self.display_idle.wait(timeout=2.0)  # bounded: a redraw that failed must not stop the run
        with self.lock:
            if self.day >= self.cfg.days:  # the recorder is sized for cfg.days
                self.running = False
                return
            super().step()
            if self.twin is not None:
                self.twin.step()
            if self.day >= self.cfg.days:
                self.running = False
