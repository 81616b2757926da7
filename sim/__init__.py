"""govsim: citizens and government agencies on government microblogs (agent-based).

Names are imported lazily, so `import sim.config` (workers, the CLI's
pre-flight) does not pay for Mesa and the model.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ConfigError": "sim.config",
    "SimConfig": "sim.config",
    "GovSimModel": "sim.model",
    "OUTCOMES": "sim.measures",
    "RunResult": "sim.api",
    "load_config": "sim.api",
    "run_simulation": "sim.api",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
