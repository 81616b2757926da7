"""What the teacher sets: a regime preset, a comparison regime, and the levers.

A lever is a config key (`policy.audit.quota`, `population.internet_penetration`,
...). The dashboard keeps only the keys the teacher changed, as typed values on
top of the regime preset: `sim.api.load_config` composes the preset, and
`sim.api.with_values` sets the values with the command line's checks, so a
refused value carries the model's own one-line `ConfigError` message.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from sim.api import load_config, options, with_values
from sim.config import ConfigError, SimConfig, declarations, flatten
from sim.levers import MID_RUN_LEVERS

POPULATION = "classroom"  # the dashboard's town: configs/population/classroom.yaml
DEFAULT_POLICY = "quota"
MAX_CITIZENS = 50_000  # drawing live stays smooth below this; bigger towns belong on the command line


@dataclass(frozen=True)
class Lever:
    key: str  # config key, as on the command line
    label: str
    kind: Literal["select", "int", "float", "bool"]
    scope: Literal["policy", "town"]  # town levers are shared by the comparison run
    lo: float = 0.0
    hi: float = 1.0
    step: float = 0.05
    choices: tuple[str, ...] = ()
    hint: str = ""

    @property
    def mid_run(self) -> bool:
        """Changed in the running town from the next day on (the model's own list); otherwise the town is rebuilt."""
        return self.key in MID_RUN_LEVERS


# the dashboard's own help under a lever (label, kind, range and choices come from the declaration)
HINTS = {
    "policy.audit.metric": "posts: any post passes, filler too; resolutions: only solved requests count",
    "policy.audit.quota": "how many the authority wants to see from each agency each audit period",
    "agency.staff_capacity": "1 = staff sized to the baseline demand",
    "population.n_citizens": f"classroom scale is 500; at most {MAX_CITIZENS:,} here",
    "seed": "same seed, same town",
}
_KINDS: dict[type, Literal["select", "int", "float", "bool"]] = {
    str: "select",
    int: "int",
    float: "float",
    bool: "bool",
}


def _lever(key: str, default: Any) -> Lever:
    """A lever from its declaration in sim/config.py (`param(label=..., lever=True | (lo, hi, step))`)."""
    meta = declarations()[key].metadata
    kind = _KINDS[type(default)]
    label = meta["label"][:1].upper() + meta["label"][1:]
    if kind == "select":
        return Lever(key, label, kind, scope_of(key), choices=tuple(meta["allowed"]), hint=HINTS.get(key, ""))
    if isinstance(meta["lever"], tuple):
        lo, hi, step = meta["lever"]
    elif kind == "bool":
        lo, hi, step = 0.0, 1.0, 1.0
    else:
        lo, hi, step = float(meta["allowed"][0]), float(meta["allowed"][1]), 0.05 if kind == "float" else 1.0
    return Lever(key, label, kind, scope_of(key), lo, hi, step, hint=HINTS.get(key, ""))


def scope_of(key: str) -> Literal["policy", "town"]:
    return "policy" if key.startswith("policy.") else "town"


# every parameter declared with `lever=`: policy levers first, each group in declaration order
LEVERS: tuple[Lever, ...] = tuple(
    sorted(
        (_lever(key, value) for key, value in flatten(SimConfig()).items() if declarations()[key].metadata["lever"]),
        key=lambda lever: lever.scope != "policy",
    )
)
LEVER_BY_KEY = {lever.key: lever for lever in LEVERS}


def regimes() -> list[str]:
    """Regime presets: one YAML file each in configs/policy/."""
    return options("policy")


_COMPOSE_LOCK = threading.Lock()  # Hydra's compose uses global state: one at a time (towns are built in threads)


@functools.lru_cache(maxsize=16)
def _preset(policy: str) -> SimConfig:
    with _COMPOSE_LOCK:
        return load_config(policy=policy, population=POPULATION)


def compose(policy: str, values: dict[str, Any]) -> SimConfig:
    """A regime preset on the classroom town with the values set: a fresh copy (models may mutate their
    config), composed once per regime (~0.1 s) and set with `sim.api.with_values`."""
    return with_values(_preset(policy), values)


@dataclass(frozen=True)
class Settings:
    """Everything a run in the dashboard depends on; immutable, so it can be compared and cached."""

    policy: str = DEFAULT_POLICY
    compare: str | None = None  # a second regime, run on the same town and seed
    lesson: str | None = None
    overrides: tuple[tuple[str, Any], ...] = field(default=())

    # --- building configs ---------------------------------------------------
    def _values(self, scopes: tuple[str, ...]) -> dict[str, Any]:
        """The changed keys in these scopes; floats to 10 digits (a slider's 0.15000000000000002 is 0.15)."""
        return {k: round(v, 10) if isinstance(v, float) else v for k, v in self.overrides if scope_of(k) in scopes}

    def config(self) -> SimConfig:
        cfg = compose(self.policy, self._values(("policy", "town")))
        _check_dashboard_limits(cfg)
        return cfg

    def twin_config(self) -> SimConfig | None:
        """The comparison run: regime `compare` as its preset says, on the same town (town levers, seed)."""
        if self.compare is None:
            return None
        return compose(self.compare, self._values(("town",)))

    def configs(self) -> tuple[SimConfig, SimConfig | None]:
        """Both configs, or ConfigError with a one-line message."""
        return self.config(), self.twin_config()

    # --- changing ----------------------------------------------------------
    def value(self, key: str, cfg: SimConfig | None = None) -> Any:
        for k, v in self.overrides:
            if k == key:
                return v
        return flatten(cfg if cfg is not None else self.config())[key]

    def with_value(self, key: str, value: Any) -> Settings:
        kept = tuple((k, v) for k, v in self.overrides if k != key)
        return replace(self, overrides=(*kept, (key, value)))

    def with_policy(self, policy: str) -> Settings:
        """Another regime preset: policy levers go back to that preset, town levers stay."""
        town = tuple((k, v) for k, v in self.overrides if scope_of(k) == "town")
        return replace(self, policy=policy, overrides=town)

    def with_compare(self, compare: str | None) -> Settings:
        return replace(self, compare=compare)

    @classmethod
    def from_kwargs(cls, base: Settings | None = None, **kwargs: Any) -> Settings:
        """Mesa-style keyword arguments: policy=, compare=, lesson=, and config keys with `__` for dots."""
        s = base or cls()
        if "policy" in kwargs:
            s = s.with_policy(kwargs.pop("policy"))
        if "compare" in kwargs:
            s = s.with_compare(kwargs.pop("compare"))
        if "lesson" in kwargs:
            s = replace(s, lesson=kwargs.pop("lesson"))
        for name, value in kwargs.items():
            s = s.with_value(name.replace("__", "."), value)
        return s


def _check_dashboard_limits(cfg: SimConfig) -> None:
    n = cfg.population.n_citizens
    if n > MAX_CITIZENS:
        raise ConfigError(
            f"invalid config: population.n_citizens={n}; allowed in the dashboard: at most {MAX_CITIZENS:,} "
            "(run bigger towns with `python -m sim`)"
        )
