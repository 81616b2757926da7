"""Plain Python entry point: config in, outcomes out, nothing written to disk.

    >>> from sim import run_simulation
    >>> result = run_simulation(policy="training", population="classroom", seed=3)
    >>> result.summary["dialogue_ratio"], result.timeseries.tail()

Keyword names are valid identifiers (dots become double underscores,
`citizen__need_rate=0.03`), so the function also serves as an EMA Workbench
or SALib model: `run_outcomes(**params) -> dict of scalars`.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import numbers
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sim.config import FIXED_FACTORS, ConfigError, SimConfig, register_configs, validate

if TYPE_CHECKING:  # pandas costs a quarter of a second to import: only the annotation needs it here
    import pandas as pd

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
GROUPS = ("policy", "population")


@dataclass
class RunResult:
    summary: dict[str, float]
    timeseries: pd.DataFrame
    config: SimConfig


def options(group: str) -> list[str]:
    """Names available in a config group (one YAML file each)."""
    return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))


def _field_type(key: str, value: Any) -> Any:
    """The declared type of a dotted config key; ConfigError naming the allowed keys (or the fixed factor)."""
    node: Any = SimConfig
    parts = key.split(".")
    for depth, part in enumerate(parts):
        fields = [f.name for f in dataclasses.fields(node)] if dataclasses.is_dataclass(node) else []
        if part not in fields:
            if key in FIXED_FACTORS:
                raise ConfigError(
                    f"invalid config: {key}={value}; {key} is a fixed factor ({FIXED_FACTORS[key].value}), "
                    "no longer a config key (docs/ODD.md 7.18, fixed factors)"
                )
            where = ".".join(parts[:depth]) or "the top level"
            raise ConfigError(
                f"invalid config: unknown key {key}={value}; allowed keys in {where}: {', '.join(fields) or 'none'}"
            )
        node = typing.get_type_hints(node)[part]
    return node


def _check_override(item: str) -> None:
    """Group names, key paths and scalar types of a `key=value` string, with the allowed values named."""
    key, _, value = item.partition("=")
    key = key.lstrip("+~")
    if key.startswith("hydra"):
        return
    if key in GROUPS:
        if value not in options(key):
            raise ConfigError(f"invalid config: {key}={value!r}; allowed: {' | '.join(options(key))}")
        return
    kind = _field_type(key, value)
    if kind in _KIND:  # the text as its field's type, as Hydra converts it
        _typed(key, kind, value)


_KIND = {int: "a whole number", float: "a number", bool: "true or false", str: "text"}
_MERGE = object()  # a value OmegaConf converts (a list, a group of keys, an optional field's None)


def _typed(key: str, kind: Any, value: Any) -> Any:
    """A value (or its text) as a bool, int, float or str field's type, else a one-line ConfigError."""
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
    elif kind in (int, float):
        if isinstance(value, str):
            try:
                return kind(value)
            except ValueError:
                pass
        elif isinstance(value, numbers.Integral if kind is int else numbers.Real) and not isinstance(value, bool):
            return kind(value)
    elif isinstance(value, str):
        return value
    raise ConfigError(f"invalid config: {key}={value!r}; allowed: {_KIND[kind]}")


def _resolve(values: Mapping[str, Any]) -> dict[str, Any]:
    """Each value as its field's type, or _MERGE; ConfigError (one line) for an unknown key or a wrong type."""
    out = {}
    for key, value in values.items():
        kind = _field_type(key, value)
        if typing.get_origin(kind) in (types.UnionType, typing.Union) and value is not None:
            kind = next(k for k in typing.get_args(kind) if k is not type(None))  # `int | None` given a value
        out[key] = _typed(key, kind, value) if kind in _KIND else _MERGE
    return out


def with_values(cfg: SimConfig, values: Mapping[str, Any]) -> SimConfig:
    """A validated copy of cfg with each dotted key set to its value.

    The one path for typed values (keyword arguments, dashboard levers, experiment conditions). An unknown
    key is refused with the allowed keys, a fixed factor with its value, a value of the wrong type with
    what is allowed, an out-of-range one by `validate`. Scalars are set directly; when a value is a list,
    a group of keys or an optional field's None, all are merged by OmegaConf on the typed config, in order,
    as Hydra merges an override.
    """
    typed = _resolve(values)
    out = copy.deepcopy(cfg)
    if _MERGE not in typed.values():
        for key, value in typed.items():
            *path, leaf = key.split(".")
            setattr(functools.reduce(getattr, path, out), leaf, value)
        return validate(out)
    node = OmegaConf.structured(out)
    for key, value in values.items():
        try:
            OmegaConf.update(node, key, value if typed[key] is _MERGE else typed[key], merge=True)
        except OmegaConfBaseException as err:
            head = str(err).strip().splitlines()[0]
            raise ConfigError(f"invalid config: {key}={value!r}; allowed: a value of its type ({head})") from None
    return to_sim_config(node)


def to_sim_config(cfg: DictConfig) -> SimConfig:
    """Typed, range-checked SimConfig from a composed Hydra config."""
    return validate(_to_object(cfg))


def _to_object(cfg: DictConfig) -> SimConfig:
    plain = OmegaConf.masked_copy(cfg, [str(k) for k in cfg if k != "hydra"])
    try:
        obj = OmegaConf.to_object(plain)
    except OmegaConfBaseException as err:
        raise ConfigError(_one_line(err)) from None
    if not isinstance(obj, SimConfig):  # a config composed without the schema (e.g. a bare YAML file)
        obj = SimConfig(**typing.cast(dict[str, Any], obj))
    return obj


def _one_line(err: Exception) -> str:
    """Hydra/OmegaConf errors, folded to one line that names the key and what is allowed."""
    chain: list[BaseException] = [err]
    while (cause := chain[-1].__cause__ or chain[-1].__context__) is not None:
        chain.append(cause)
    # the deepest error that knows its config key, else the deepest of all
    root = next((e for e in reversed(chain) if getattr(e, "full_key", None)), chain[-1])
    where = str(err).strip().splitlines()[0].split(":")[0] if str(err).strip() else ""
    head = (str(root).strip().splitlines() or [type(root).__name__])[0]
    key = getattr(root, "full_key", None)
    line = f"invalid config: {head}"
    if key:
        line += f" (key {key})"
    if where.startswith("In "):
        line += f" {where.lower()}"
    if key and "not in" in head:
        line += f"; allowed keys: {', '.join(_fields_at(key.rsplit('.', 1)[0] if '.' in key else ''))}"
    return line


def _fields_at(path: str) -> list[str]:
    node: Any = SimConfig
    for part in filter(None, path.split(".")):
        node = typing.get_type_hints(node).get(part)
        if node is None or not dataclasses.is_dataclass(node):
            return []
    return [f.name for f in dataclasses.fields(node)]


def load_config(overrides: list[str] | None = None, **kwargs: Any) -> SimConfig:
    """Compose configs/config.yaml with Hydra-style overrides, set the keyword values, validate.

    `policy=` and `population=` choose config groups; every other keyword is a config key with `__` for
    its dots, set as a typed value on the composed config (`with_values`).
    """
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException

    items = [*(overrides or []), *(f"{group}={kwargs.pop(group)}" for group in GROUPS if group in kwargs)]
    for item in items:
        _check_override(item)
    values = {k.replace("__", "."): v for k, v in kwargs.items()}
    register_configs()
    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            cfg = compose("config", overrides=items)
    except (HydraException, OmegaConfBaseException) as err:
        raise ConfigError(_one_line(err)) from None
    return with_values(_to_object(cfg), values) if values else to_sim_config(cfg)


def run_simulation(
    cfg: SimConfig | None = None, overrides: list[str] | None = None, *, record_every: int = 1, **kwargs: Any
) -> RunResult:
    """Run one simulation in memory; returns its summary and its time series (every day, or every
    `record_every`-th day and the days the summary reads: `sim.outcomes.Recorder`)."""
    from sim.model import GovSimModel

    if cfg is None:
        cfg = load_config(overrides, **kwargs)
    elif overrides or kwargs:
        raise TypeError("give either a SimConfig or overrides, not both")
    model = GovSimModel(cfg, record_every=record_every)
    model.run()
    return RunResult(model.recorder.summary(), model.recorder.timeseries(), cfg)


def run_outcomes(**params: Any) -> dict[str, float]:
    """Scalar outcomes only: the shape EMA Workbench and SALib expect."""
    return run_simulation(**params).summary
