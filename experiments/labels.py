"""Plain-language names of outcomes and swept keys, for tables, figures and report.md."""

from __future__ import annotations

from sim.config import declarations
from sim.measures import OUTCOMES

# outcome labels are declared in sim/measures.py, parameter labels by `param(label=...)` in sim/config.py
LABELS: dict[str, str] = {
    **{o.key: o.label for o in OUTCOMES},
    **{key: f.metadata["label"] for key, f in declarations().items() if f.metadata["label"]},
    "regime": "regime",
    "population": "population",
}


def label(key: str) -> str:
    return LABELS.get(key, key.replace("_", " "))
