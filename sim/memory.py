"""Memory a run will need, estimated from the config before anything is built.

    >>> from sim.memory import check_memory
    >>> check_memory(cfg)          # raises ConfigError (one line) when the estimate exceeds what is available

Only reads the config (no model code runs). The estimate is deliberately
generous: peak resident memory of `python -m sim ... days=3` (numpy 2.x,
Model 2.0) was 169 MB at 20,000 citizens and 235 MB at 400,000, a slope of
~175 bytes per citizen. The estimate takes about twice that slope plus a
fixed 150 MB, so a city of 10,000 is ~154 MB and a metropolis of 1,000,000
~550 MB.
"""

from __future__ import annotations

import os
from typing import Any

from sim.config import ConfigError

BYTES_PER_CITIZEN = 400  # about 2 x the measured ~175 B/citizen (peak RSS slope, 20k -> 400k citizens)
FIXED_BYTES = 150_000_000  # interpreter, imports, agencies and leaders


def estimate_bytes(cfg: Any) -> int:
    """Peak memory of one run of `cfg` (a SimConfig), in bytes."""
    citizens = getattr(getattr(cfg, "population", None), "n_citizens", 0)
    return int(FIXED_BYTES + BYTES_PER_CITIZEN * int(citizens or 0))


def available_bytes() -> int | None:
    """Memory available to a new process on this machine (MemAvailable), or None when unknown."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (OSError, ValueError, AttributeError):
        return None


def gb(n: float) -> str:
    return f"{n / 1e9:,.1f} GB" if n >= 1e8 else f"{n / 1e6:,.0f} MB"


def check_memory(cfg: Any, limit: int | None = None, where: str = "this machine's available memory") -> None:
    """Raise ConfigError when the estimate for `cfg` exceeds `limit` (default: the memory available now)."""
    limit = available_bytes() if limit is None else limit
    need = estimate_bytes(cfg)
    if limit is not None and need > limit:
        most = max(0, (limit - FIXED_BYTES) // BYTES_PER_CITIZEN)
        raise ConfigError(
            f"invalid config: population.n_citizens={cfg.population.n_citizens} needs about {gb(need)} of memory, "
            f"more than {where} ({gb(limit)}); allowed: at most about {most:,} citizens here"
        )
