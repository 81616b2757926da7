"""Expand an experiment into conditions and runs, each with its resolved config and run id.

Conditions are regimes x the cartesian product of the sweep, in file order;
or, for an *explicit* experiment, its named `conditions` or the points of its
sampled `design` (Morris), in that order. Every condition uses the same
replicate seeds (common random numbers):
`numpy.random.SeedSequence(seed).spawn(replicates)`, one 32-bit integer per
child. A run is identified by the SHA-256 of its resolved model config, so
the same run is recognised whatever launcher, machine or order produced it.

The plan is the one place a run's config is built: Hydra composes each choice
of config groups (base, regime, population) once, and the condition's values
are set on it as typed values (`sim.api.with_values`), which validates the result.
Jobs receive exactly these configs (`experiments.launch` writes them into the
chunk files the Hydra jobs read); nothing is rendered back into override strings.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from experiments.cache import run_id
from experiments.spec import ExperimentConfig, ExperimentError, sim_error
from sim.config import ConfigError, SimConfig, flatten, validate


@dataclass(frozen=True)
class Condition:
    index: int
    regime: str
    values: dict[str, Any]  # swept key -> resolved value (as the model sees it)
    given: dict[str, Any]  # swept key -> value as written in the experiment file
    overrides: tuple[str, ...]  # the base and regime overrides (and a named condition's own), as written
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


def replicate_seeds(seed: int, n: int) -> list[int]:
    return [int(child.generate_state(1)[0]) for child in np.random.SeedSequence(seed).spawn(n)]


def short_names(keys: list[str], reserved: list[str]) -> dict[str, str]:
    """Last segment of each dotted key, or the last two where that would be ambiguous."""
    last = [k.rsplit(".", 1)[-1] for k in keys]
    out = {}
    for key, name in zip(keys, last, strict=True):
        clash = last.count(name) > 1 or name in reserved
        out[key] = ".".join(key.split(".")[-2:]) if clash else name
    return out


def shown_regimes(exp: ExperimentConfig) -> list[str]:
    """Regime names that appear in labels (none when there is only one)."""
    return list(exp.regimes) if len(exp.regimes) > 1 else []


def fmt_value(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def make_plan(exp: ExperimentConfig, source: str) -> Plan:
    """Compose and validate every condition; raise ExperimentError on the first bad one."""
    composer = Composer()
    if exp.design is not None:
        conditions = _design_conditions(exp, source, composer)
    elif exp.conditions:
        conditions = _named_conditions(exp, source, composer)
    else:
        conditions = _cartesian_conditions(exp, source, composer)
    if exp.design is None:
        _check_distinct(conditions, source)
    seeds = replicate_seeds(exp.seed, exp.replicates)
    runs = [
        Run(cond, rep, s, run_id(dataclasses.replace(cond.config, seed=s), exp.record_every))
        for cond in conditions
        for rep, s in enumerate(seeds)
    ]
    return Plan(exp, source, conditions, seeds, runs)


class Composer:
    """Resolved configs: Hydra composes each choice of config groups once; values are then set on a copy.

    `config(fixed, values)` equals `sim.api.load_config(fixed, **values)` (with `__` for the dots): both
    compose the groups with Hydra and set the values with `sim.api.with_values`.
    """

    def __init__(self) -> None:
        self.composed: dict[tuple[str, ...], SimConfig] = {}

    def config(self, fixed: Sequence[str], values: dict[str, Any]) -> SimConfig:
        from sim.api import load_config, with_values

        key = tuple(fixed)
        if key not in self.composed:
            self.composed[key] = self._other_regime(key) or load_config(list(fixed))
        return with_values(self.composed[key], values) if values else self.composed[key]

    def _other_regime(self, key: tuple[str, ...]) -> SimConfig | None:
        """A composition that differs from one already made only in `policy=<regime>`: the regime's file
        merged over the schema's policy defaults, as Hydra merges a group option (policy files have no
        defaults list of their own). None when there is no such composition or the shortcut fails."""
        from omegaconf import OmegaConf

        from sim.api import CONFIG_DIR
        from sim.config import PolicyConfig

        def rest(k: tuple[str, ...]) -> list[str]:
            return [i for i in k if not i.startswith("policy=")]

        choice = [i.partition("=")[2] for i in key if i.startswith("policy=")]
        sibling = next((k for k in self.composed if rest(k) == rest(key)), None)
        if sibling is None or len(choice) != 1 or any(i.lstrip("+~").startswith("policy") for i in rest(key)):
            return None
        try:
            text = OmegaConf.load(CONFIG_DIR / "policy" / f"{choice[0]}.yaml")
            policy = OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(PolicyConfig), text))
            assert isinstance(policy, PolicyConfig)
            return validate(dataclasses.replace(self.composed[sibling], policy=policy))
        except Exception:  # Hydra composes it (and names what is wrong)
            return None

    def split(self, items: Sequence[str]) -> tuple[list[str], dict[str, Any]]:
        """Override items -> (those Hydra must compose: groups, additions, deletions; plain `key=value` values)."""
        from hydra.core.override_parser.overrides_parser import OverridesParser
        from hydra.core.override_parser.types import OverrideType, ValueType

        from sim.api import GROUPS

        try:
            parsed = OverridesParser.create().parse_overrides(list(items))
        except Exception:  # Hydra's own message comes from load_config, which parses them again
            return list(items), {}
        fixed, values = [], {}
        for item, o in zip(items, parsed, strict=True):
            plain = o.type == OverrideType.CHANGE and o.value_type == ValueType.ELEMENT and not o.package
            if plain and o.key_or_group not in GROUPS and o.key_or_group not in values:
                values[o.key_or_group] = o.value()
            else:
                fixed.append(item)
        return fixed, values


def _named_conditions(exp: ExperimentConfig, source: str, composer: Composer) -> list[Condition]:
    keys = list(dict.fromkeys(o.partition("=")[0].strip().lstrip("+~") for c in exp.conditions for o in c.overrides))
    conditions: list[Condition] = []
    for spec in exp.conditions:
        overrides = [*exp.base, f"policy={spec.regime}", *spec.overrides]
        try:
            cfg = composer.config(*composer.split(overrides))
        except ConfigError as err:
            raise sim_error(source, err, f"condition {spec.name}") from None
        flat = flatten(cfg)
        values = {k: (cfg.population.name if k == "population" else flat[k]) for k in keys}
        given = {o.partition("=")[0].strip().lstrip("+~"): o.partition("=")[2] for o in spec.overrides}
        conditions.append(
            Condition(len(conditions), spec.regime, values, given, tuple(overrides), cfg, spec.name, spec.name)
        )
    return conditions


def _design_conditions(exp: ExperimentConfig, source: str, composer: Composer) -> list[Condition]:
    """One condition per point of the sampled design; the regime is composed once, the points set on it."""
    from experiments.designs import design_matrix

    design = exp.design
    assert design is not None
    keys = list(design.parameters)
    base = (*exp.base, f"policy={design.regime}")
    try:
        composer.config(base, {})
    except ConfigError as err:
        raise sim_error(source, err, f"regime {design.regime}") from None
    defaults = flatten(SimConfig())
    conditions: list[Condition] = []
    for i, row in enumerate(design_matrix(design)):
        given = {k: float(v) for k, v in zip(keys, row, strict=True)}
        # a sampled value in the type of the config field (whole numbers are rounded)
        values = {k: int(round(v)) if isinstance(defaults[k], int) else v for k, v in given.items()}
        try:
            cfg = composer.config(base, values)
        except ConfigError as err:
            raise sim_error(source, err, f"design point {i}") from None
        name = f"p{i:03d}"
        conditions.append(Condition(i, design.regime, values, given, base, cfg, name, name))
    return conditions


def _cartesian_conditions(exp: ExperimentConfig, source: str, composer: Composer) -> list[Condition]:
    keys = list(exp.sweep)
    names = short_names(keys, shown_regimes(exp))
    conditions: list[Condition] = []
    for regime, combo in itertools.product(exp.regimes, itertools.product(*exp.sweep.values())):
        given = dict(zip(keys, combo, strict=True))
        fixed = [*exp.base, f"policy={regime}", *(f"{k}={v}" for k, v in given.items() if k == "population")]
        try:
            cfg = composer.config(fixed, {k: v for k, v in given.items() if k != "population"})
        except ConfigError as err:
            where = ", ".join([f"regime {regime}", *(f"{k}={v}" for k, v in given.items())])
            raise sim_error(source, err, where) from None
        flat = flatten(cfg)
        values = {k: flat.get(k, v) for k, v in given.items()}
        shown = [regime] if len(exp.regimes) > 1 or not values else []  # e.g. "integration, staff_capacity=0.5"
        label = ", ".join(shown + [f"{names[k]}={fmt_value(v)}" for k, v in values.items()])
        conditions.append(Condition(len(conditions), regime, values, given, tuple(fixed), cfg, label))
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
