"""Plain-language names, meanings, number formats and directions of outcomes, swept keys and regimes.

Used by tables, figures and report.md. Outcomes are declared once in sim/measures.py (label, meaning,
unit, direction), parameters in sim/config.py (`param(label=...)`), and a regime's meaning is the
leading comment of configs/policy/<regime>.yaml.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sim.config import declarations
from sim.measures import COUNT, OUTCOME_BY_KEY, OUTCOMES, SHARE

REPO = Path(__file__).resolve().parent.parent

LABELS: dict[str, str] = {
    **{o.key: o.label for o in OUTCOMES},
    **{key: f.metadata["label"] for key, f in declarations().items() if f.metadata["label"]},
    "regime": "regime",
    "population": "population",
}
SHARES = frozenset(o.key for o in OUTCOMES if o.unit is SHARE)  # CIs clipped to [0, 1]; bar panels on one scale
BETTER = {o.key: o.better for o in OUTCOMES if o.better}  # +1 more is better, -1 less is better


def label(key: str) -> str:
    """The declared label; else the key without its top group ("policy.audit.period_days": "audit: period days")."""
    return LABELS.get(key) or key.split(".", 1)[-1].replace(".", ": ").replace("_", " ")


def meaning(outcome: str) -> str:
    """The outcome's one-line meaning as declared in sim/measures.py ('' for an undeclared key)."""
    return OUTCOME_BY_KEY[outcome].meaning if outcome in OUTCOME_BY_KEY else ""


@dataclass(frozen=True)
class NumberFormat:
    """One outcome's format in a report: fixed decimals, optionally scaled (e.g. per 1,000)."""

    decimals: int = 3
    scale: int = 1

    def __call__(self, value: float, signed: bool = False) -> str:
        if value is None or math.isnan(value):
            return "–"
        text = f"{value * self.scale:{'+' if signed and value != 0 else ''},.{self.decimals}f}"
        return f"{0:.{self.decimals}f}" if not text.strip("+-0.,") else text  # no "-0.000" or "+0.000"

    @property
    def unit(self) -> str:
        return f"per {self.scale:,}" if self.scale > 1 else ""


def number_format(outcome: str, values: Iterable[float]) -> NumberFormat:
    """The declared unit's decimals (shares 0.123, counts whole); a small unbounded rate (largest shown value
    below 0.01) scaled per 1,000, 10,000, ...; an undeclared outcome's decimals by the largest value shown."""
    unit = OUTCOME_BY_KEY[outcome].unit if outcome in OUTCOME_BY_KEY else None
    if unit is not None and (unit.bounds in ((0.0, 1.0), (-1.0, 1.0)) or unit is COUNT):
        return NumberFormat(unit.decimals)
    top = max((abs(v) for v in values if v is not None and math.isfinite(v)), default=0.0)
    if 0 < top < 0.01:
        scale = 1000
        while top * scale < 1:
            scale *= 10
        return NumberFormat(2, scale)
    if unit is not None:
        return NumberFormat(unit.decimals)
    return NumberFormat(0 if top >= 100 else 1 if top >= 10 else 2 if top >= 1 else 3)


def with_unit(key: str, fmt: NumberFormat) -> str:
    return f"{label(key)} ({fmt.unit})" if fmt.unit else label(key)


@functools.cache
def regime_meaning(regime: str) -> str:
    """The leading comment of configs/policy/<regime>.yaml, as one line."""
    path = REPO / "configs" / "policy" / f"{regime}.yaml"
    lines = path.read_text().splitlines() if path.is_file() else []
    head = (ln.lstrip("# ").strip() for ln in itertools.takewhile(lambda ln: ln.startswith("#"), lines))
    return " ".join(h for h in head if h)
