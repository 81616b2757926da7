"""Policy levers changed between days of a running model (the classroom's sliders).

A lever is a dotted config key. `set_lever` validates the new value exactly as
a config file is validated (a copy of the config with the value set must pass
`validate`), then swaps the validated config in; rules read their levers from
`model.cfg` when they act, so the change takes effect from the next day on.
The few levers that the model turns into state when it is built (the audit
schedule, the hub, staff hours) are re-applied by the part of the model that
owns them. Structural settings (citizens, districts, seed) are not levers:
changing them means building a new town.
"""

from __future__ import annotations

import copy
import dataclasses
import typing
from typing import TYPE_CHECKING, Any

from sim.config import ConfigError, SimConfig, validate

if TYPE_CHECKING:
    from sim.model import GovSimModel

MID_RUN_LEVERS: tuple[str, ...] = (
    "policy.audit.metric",
    "policy.audit.quota",
    "policy.training.share_per_year",
    "policy.integration.enabled",
    "policy.inclusion.places_per_10k",
    "policy.inclusion.assisted_coverage",
    "policy.offline_diversion",
    "agency.staff_capacity",
)


def _field_type(key: str) -> type:
    node: Any = SimConfig
    for part in key.split("."):
        node = typing.get_type_hints(node)[part]
    return node


def _coerce(key: str, value: Any) -> Any:
    """The value as the config field's type, or a one-line ConfigError."""
    kind = _field_type(key)
    if kind is bool:
        if isinstance(value, bool):
            return value
    elif kind is int:
        if isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer():
            return int(value)
    elif kind is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif kind is str and isinstance(value, str):
        return value
    raise ConfigError(f"invalid lever: {key}={value!r}; allowed: {kind.__name__}")


def with_value(cfg: SimConfig, key: str, value: Any) -> SimConfig:
    """A validated copy of cfg with one dotted key set."""
    new = copy.deepcopy(cfg)
    *path, leaf = key.split(".")
    node: Any = new
    for part in path:
        node = getattr(node, part)
    if not dataclasses.is_dataclass(node) or leaf not in {f.name for f in dataclasses.fields(node)}:
        raise ConfigError(f"invalid lever: unknown key {key}; allowed: {', '.join(MID_RUN_LEVERS)}")
    setattr(node, leaf, _coerce(key, value))
    return validate(new)


def set_lever(model: GovSimModel, key: str, value: Any) -> None:
    """Change one policy lever of a running model; acts from the next day on."""
    if key not in MID_RUN_LEVERS:
        raise ConfigError(f"invalid lever: {key}; allowed mid-run: {', '.join(MID_RUN_LEVERS)}")
    new = with_value(model.cfg, key, value)
    old = model.cfg
    model.cfg = new
    model.lever_changed(key, old, new)
    model.lever_changes.append((model.day, key, _coerce(key, value)))
