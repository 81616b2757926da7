"""Play at a speed in days per second, decoupled from how often the page is redrawn.

NetLogo's model: one speed control. The play loop steps as many days as the
wall clock says are due at the chosen speed, then redraws once; a frame shows
the latest day, so drawing never slows the simulated clock unless the machine
cannot keep up (then the clock slips instead of piling up a backlog).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

FRAME_S = 0.2  # at most 5 redraws a second: smooth on a projector, light on a 2-core laptop
MAX_LAG_S = 0.5  # behind by more than this: drop the backlog (the clock slips) instead of jumping ahead


@dataclass
class Pace:
    """The days due at `speed` days per second since the clock was (re)started."""

    speed: float
    start_time: float
    start_day: int

    def restart(self, now: float, day: int, speed: float | None = None) -> None:
        self.start_time, self.start_day = now, day
        if speed is not None:
            self.speed = speed

    def due(self, now: float, day: int) -> int:
        """Days to step now to be on time (0 if ahead)."""
        n = self.start_day + math.floor((now - self.start_time) * self.speed + 1e-9) - day
        lag = max(1, math.ceil(self.speed * MAX_LAG_S))
        if n > lag:  # the machine fell behind: step a bounded batch and restart the clock from there
            self.restart(now, day + lag)
            return lag
        return max(n, 0)

    def wait(self, now: float, day: int) -> float:
        """Seconds until the next day is due."""
        next_time = self.start_time + (day + 1 - self.start_day) / self.speed
        return max(0.0, next_time - now)


def stop_day(day: int, days: int, target: int | None) -> int:
    """Where play stops: the run-to target if one is ahead, else the end of the run."""
    if target is not None and day < target <= days:
        return target
    return days
