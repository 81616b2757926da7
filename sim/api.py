"""Plain Python entry point: config in, outcomes out, nothing written to disk.

    >>> from sim import run_simulation
    >>> result = run_simulation(policy="training", population="classroom", seed=3)
    >>> result.summary["dialogue_ratio"], result.timeseries.tail()

Keyword names are valid identifiers (dots become double underscores,
`citizen__need_rate=0.03`), so the function also serves as an EMA Workbench
or SALib model: `run_outcomes(**params) -> dict of scalars`.
"""

from __future__ import annotations

import dataclasses
import typing
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


def to_overrides(overrides: list[str] | None = None, **kwargs: Any) -> list[str]:
    out = list(overrides or [])
    out += [f"{k.replace('__', '.')}={v}" for k, v in kwargs.items()]
    return out


def _check_override(item: str) -> None:
    """Group names, key paths and scalar types, with the allowed values named."""
    key, _, value = item.partition("=")
    key = key.lstrip("+~")
    if key.startswith("hydra"):
        return
    if key in GROUPS:
        if value not in options(key):
            raise ConfigError(f"invalid config: {key}={value!r}; allowed: {' | '.join(options(key))}")
        return
    node: Any = SimConfig
    parts = key.split(".")
    for depth, part in enumerate(parts):
        fields = {f.name: f for f in dataclasses.fields(node)}
        if part not in fields:
            if key in FIXED_FACTORS:
                raise ConfigError(
                    f"invalid config: {key}={value}; {key} is a fixed factor ({FIXED_FACTORS[key].value}), "
                    "no longer a config key (docs/ODD.md 7.18, fixed factors)"
                )
            where = ".".join(parts[:depth]) or "the top level"
            raise ConfigError(
                f"invalid config: unknown key {key}={value}; allowed keys in {where}: {', '.join(fields)}"
            )
        node = typing.get_type_hints(node)[part]
    caster = _CASTS.get(node)
    if caster is not None:
        try:
            caster(value)
        except ValueError:
            raise ConfigError(f"invalid config: {key}={value!r}; allowed: {_KIND[node]}") from None


def _as_bool(text: str) -> bool:
    if text.lower() not in ("true", "false"):
        raise ValueError(text)
    return text.lower() == "true"


_CASTS: dict[Any, Any] = {int: int, float: float, bool: _as_bool}
_KIND = {int: "a whole number", float: "a number", bool: "true or false"}


def to_sim_config(cfg: DictConfig) -> SimConfig:
    """Typed, range-checked SimConfig from a composed Hydra config."""
    plain = OmegaConf.masked_copy(cfg, [str(k) for k in cfg if k != "hydra"])
    try:
        obj = OmegaConf.to_object(plain)
    except OmegaConfBaseException as err:
        raise ConfigError(_one_line(err)) from None
    if not isinstance(obj, SimConfig):  # a config composed without the schema (e.g. a bare YAML file)
        obj = SimConfig(**typing.cast(dict[str, Any], obj))
    return validate(obj)


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
    """Compose configs/config.yaml with Hydra-style overrides, validate, return the dataclass."""
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException

    items = to_overrides(overrides, **kwargs)
    for item in items:
        _check_override(item)
    register_configs()
    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            cfg = compose("config", overrides=items)
    except (HydraException, OmegaConfBaseException) as err:
        raise ConfigError(_one_line(err)) from None
    return to_sim_config(cfg)


def run_simulation(cfg: SimConfig | None = None, overrides: list[str] | None = None, **kwargs: Any) -> RunResult:
    """Run one simulation in memory; returns its summary and daily time series."""
    from sim.model import GovSimModel

    if cfg is None:
        cfg = load_config(overrides, **kwargs)
    elif overrides or kwargs:
        raise TypeError("give either a SimConfig or overrides, not both")
    model = GovSimModel(cfg)
    model.run()
    return RunResult(model.recorder.summary(), model.recorder.timeseries(), cfg)


def run_outcomes(**params: Any) -> dict[str, float]:
    """Scalar outcomes only: the shape EMA Workbench and SALib expect."""
    return run_simulation(**params).summary
