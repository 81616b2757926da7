"""Expand an experiment into conditions and runs, each with its resolved config and run id.

Conditions are regimes x the cartesian product of the sweep, in file order;
or, for an *explicit* experiment, its named `conditions` or the points of its
sampled `design` (Morris), in that order. Every condition uses the same
replicate seeds (common random numbers):
`numpy.random.SeedSequence(seed).spawn(replicates)`, one 32-bit integer per
child. A run is identified by the SHA-256 of its resolved model config, so
the same run is recognised whatever launcher, machine or order produced it.

Hydra sweeps are cartesian products, so an explicit experiment reaches Hydra
as one config-group option per condition: `+govsim_condition=<option>`, a
file holding the condition's whole resolved config (seed aside) at the
global package, in a folder added to `hydra.searchpath`. The job composes it
like any other config, so it sees exactly the condition's config.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import yaml

from experiments.cache import run_id
from experiments.spec import ExperimentConfig, ExperimentError, sim_error
from sim.api import load_config
from sim.config import ConfigError, SimConfig, flatten, validate

CONDITION_GROUP = "govsim_condition"  # the Hydra config group of an explicit experiment's conditions


@dataclass(frozen=True)
class Condition:
    index: int
    regime: str
    values: dict[str, Any]  # swept key -> resolved value (as the model sees it)
    given: dict[str, Any]  # swept key -> value as written in the experiment file
    overrides: tuple[str, ...]  # model overrides that compose this condition (without the seed)
    config: SimConfig  # resolved config (seed still the default)
    label: str  # e.g. "integration, staff_capacity=0.5" (the regime only when there are several)
    name: str = ""  # explicit experiments: the condition's name (design points: p000, p001, ...)


@dataclass(frozen=True)
class Run:
    condition: Condition
    replicate: int
    seed: int
    run_id: str


@dataclass
class Plan:
    experiment: ExperimentConfig
    source: str
    conditions: list[Condition]
    seeds: list[int]
    runs: list[Run]

    @property
    def explicit(self) -> bool:
        """Named conditions or a design, rather than regimes x sweep."""
        return bool(self.experiment.conditions) or self.experiment.design is not None

    @property
    def swept(self) -> list[str]:
        """Config keys that vary between conditions (a column each in the tables)."""
        if not self.explicit:
            return list(self.experiment.sweep)
        return list(dict.fromkeys(k for c in self.conditions for k in c.values))

    @property
    def names(self) -> dict[str, str]:
        """Short display names of the swept keys (and of `regime`)."""
        return {"regime": "regime", **short_names(self.swept, shown_regimes(self.experiment))}

    def hydra_sweep(self, runs: list[Run]) -> list[str]:
        """Hydra multirun overrides whose cartesian product covers `runs`.

        Each dimension (regime, each swept key, seed) keeps only the values some
        of `runs` need, so a resumed experiment launches little more than what is
        missing; jobs whose result is already cached return at once.
        """
        exp = self.experiment
        seeds = _keep(self.seeds, {r.seed for r in runs})
        if self.explicit:
            options = dict.fromkeys(condition_option(r.condition) for r in runs)
            return [f"+{CONDITION_GROUP}=" + ",".join(options), "seed=" + ",".join(str(s) for s in seeds)]
        out = list(exp.base)
        regimes = _keep(exp.regimes, {r.condition.regime for r in runs})
        out.append("policy=" + ",".join(regimes))
        for key, values in exp.sweep.items():
            wanted = {render(r.condition.given[key]) for r in runs}
            kept = [render(v) for v in values if render(v) in wanted]
            out.append(f"{key}=" + ",".join(kept))
        out.append("seed=" + ",".join(str(s) for s in seeds))
        return out


def condition_option(cond: Condition) -> str:
    """The config-group option of an explicit condition: named by the hash of its config."""
    return "c" + run_id(cond.config)


def condition_file(cond: Condition) -> str:
    """The condition's resolved config (seed aside) as a Hydra config merged at the global package."""
    data = dataclasses.asdict(cond.config)
    data.pop("seed")
    head = f"# @package _global_\n# condition {cond.index} ({cond.label}), written by `python -m experiments`\n"
    return head + yaml.safe_dump(data, sort_keys=False, width=10_000)


def _keep(ordered: list[Any], wanted: set[Any]) -> list[Any]:
    return [v for v in ordered if v in wanted]


def replicate_seeds(seed: int, n: int) -> list[int]:
    return [int(child.generate_state(1)[0]) for child in np.random.SeedSequence(seed).spawn(n)]


_BARE = re.compile(r"[A-Za-z_][A-Za-z0-9_\-./]*")


def render(value: Any) -> str:
    """A value in Hydra's override grammar."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(render(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{render(v)}" for k, v in value.items()) + "}"
    text = str(value)
    if _BARE.fullmatch(text) and text.lower() not in ("null", "true", "false", "nan", "inf"):
        return text
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def short(key: str) -> str:
    return key.rsplit(".", 1)[-1]


def short_names(keys: list[str], reserved: list[str]) -> dict[str, str]:
    """Last segment of each dotted key, or the last two where that would be ambiguous."""
    last = [short(k) for k in keys]
    out = {}
    for key, name in zip(keys, last, strict=True):
        clash = last.count(name) > 1 or name in reserved
        out[key] = ".".join(key.split(".")[-2:]) if clash else name
    return out


def shown_regimes(exp: ExperimentConfig) -> list[str]:
    """Regime names that appear in labels (none when there is only one)."""
    return list(exp.regimes) if len(exp.regimes) > 1 else []


def condition_label(regime: str, values: dict[str, Any], exp: ExperimentConfig) -> str:
    names = short_names(list(exp.sweep), shown_regimes(exp))
    parts = [regime] if len(exp.regimes) > 1 or not values else []
    return ", ".join(parts + [f"{names[k]}={fmt_value(v)}" for k, v in values.items()])


def fmt_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def make_plan(exp: ExperimentConfig, source: str) -> Plan:
    """Compose and validate every condition; raise ExperimentError on the first bad one."""
    if exp.design is not None:
        conditions = _design_conditions(exp, source)
    elif exp.conditions:
        conditions = _named_conditions(exp, source)
    else:
        conditions = _cartesian_conditions(exp, source)
    if exp.design is None:
        _check_distinct(conditions, source)
    seeds = replicate_seeds(exp.seed, exp.replicates)
    runs = [
        Run(cond, rep, s, run_id(dataclasses.replace(cond.config, seed=s)))
        for cond in conditions
        for rep, s in enumerate(seeds)
    ]
    return Plan(exp, source, conditions, seeds, runs)


def _named_conditions(exp: ExperimentConfig, source: str) -> list[Condition]:
    keys = list(dict.fromkeys(o.partition("=")[0].strip().lstrip("+~") for c in exp.conditions for o in c.overrides))
    conditions: list[Condition] = []
    for spec in exp.conditions:
        overrides = [*exp.base, f"policy={spec.regime}", *spec.overrides]
        try:
            cfg = load_config(overrides)
        except ConfigError as err:
            raise sim_error(source, err, f"condition {spec.name}") from None
        flat = flatten(cfg)
        values = {k: (cfg.population.name if k == "population" else flat[k]) for k in keys}
        given = {o.partition("=")[0].strip().lstrip("+~"): o.partition("=")[2] for o in spec.overrides}
        conditions.append(Condition(len(conditions), spec.regime, values, given, tuple(overrides), cfg, spec.name,
                                    spec.name))  # fmt: skip
    return conditions


def _design_conditions(exp: ExperimentConfig, source: str) -> list[Condition]:
    """One condition per point of the sampled design; the regime is composed once, the points set directly."""
    from experiments.designs import design_matrix

    design = exp.design
    assert design is not None
    keys = list(design.parameters)
    base = [*exp.base, f"policy={design.regime}"]
    try:
        start = load_config(base)
    except ConfigError as err:
        raise sim_error(source, err, f"regime {design.regime}") from None
    defaults = flatten(SimConfig())
    conditions: list[Condition] = []
    for i, row in enumerate(design_matrix(design)):
        given = {k: float(v) for k, v in zip(keys, row, strict=True)}
        values = {k: _typed(defaults[k], v) for k, v in given.items()}
        try:
            cfg = _set_values(start, values)
        except ConfigError as err:
            raise sim_error(source, err, f"design point {i}") from None
        overrides = (*base, *(f"{k}={render(v)}" for k, v in values.items()))
        name = f"p{i:03d}"
        conditions.append(Condition(i, design.regime, values, given, overrides, cfg, name, name))
    return conditions


def _typed(default: Any, value: float) -> Any:
    """A sampled value in the type of the config field (whole numbers are rounded)."""
    return int(round(value)) if isinstance(default, int) else float(value)


def _set_values(cfg: SimConfig, values: dict[str, Any]) -> SimConfig:
    out = copy.deepcopy(cfg)
    for key, value in values.items():
        *path, leaf = key.split(".")
        node: Any = out
        for part in path:
            node = getattr(node, part)
        setattr(node, leaf, value)
    return validate(out)


def _cartesian_conditions(exp: ExperimentConfig, source: str) -> list[Condition]:
    keys = list(exp.sweep)
    conditions: list[Condition] = []
    combos = list(itertools.product(*(exp.sweep[k] for k in keys)))
    for regime in exp.regimes:
        for combo in combos:
            overrides = [*exp.base, f"policy={regime}"] + [f"{k}={render(v)}" for k, v in zip(keys, combo, strict=True)]
            where = ", ".join([f"regime {regime}"] + [f"{k}={render(v)}" for k, v in zip(keys, combo, strict=True)])
            try:
                cfg = load_config(overrides)
            except ConfigError as err:
                raise sim_error(source, err, where) from None
            flat = flatten(cfg)
            values = {k: flat.get(k, v) for k, v in zip(keys, combo, strict=True)}
            given = dict(zip(keys, combo, strict=True))
            label = condition_label(regime, values, exp)
            cond = Condition(len(conditions), regime, values, given, tuple(overrides), cfg, label)
            conditions.append(cond)
    return conditions


def _check_distinct(conditions: list[Condition], source: str) -> None:
    seen: dict[str, int] = {}
    for cond in conditions:
        digest = run_id(cond.config)
        if digest in seen:
            other = conditions[seen[digest]]
            raise ExperimentError(
                f"invalid experiment {source}: conditions {other.label!r} and {cond.label!r} resolve to the same "
                "model config; allowed: conditions that differ"
            )
        seen[digest] = cond.index
