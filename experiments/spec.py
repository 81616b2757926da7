"""Experiment files: the schema, loading, and validation (one-line errors).

An experiment is a YAML file, `configs/experiment/<name>.yaml`, checked
against the `ExperimentConfig` dataclass below. Everything is validated
before anything runs or is written: unknown keys, unknown regimes, empty
sweeps, unknown outcomes, figures that name a key the experiment does not
sweep, and every condition's model config (composed through the model's own
Hydra config tree, so the same range checks apply as in `python -m sim`).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import difflib
import functools
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.api import CONFIG_DIR, options
from sim.config import ConfigError, SimConfig, flatten

EXPERIMENT_DIR = CONFIG_DIR / "experiment"
LAUNCHER_DIR = CONFIG_DIR / "hydra" / "launcher"
# Launchers Hydra or its installed plugins register without a file in configs/.
PLUGIN_LAUNCHERS = ("basic", "joblib", "submitit_local", "submitit_slurm", "ray", "ray_aws")
FIGURE_KINDS = ("timeseries", "bars", "heatmap")
# Model groups a sweep may vary besides dotted config keys (the policy group is `regimes`).
SWEEPABLE_GROUPS = ("population",)


class ExperimentError(ValueError):
    """An experiment file (or an override of it) the tool refuses; the message is one line."""


@dataclass
class FigureSpec:
    kind: str = "timeseries"  # timeseries | bars | heatmap
    name: str = ""  # file stem of the PNG; default <kind>_<index>
    outcomes: list[str] = field(default_factory=list)  # empty: the experiment's outcomes
    x: str = ""  # heatmap: swept key on the x axis
    y: str = ""  # heatmap: swept key on the y axis
    contrast: list[str] = field(default_factory=list)  # heatmap: [regime_a, regime_b] -> a - b, paired by seed
    title: str = ""
    caption: str = ""


@dataclass
class ConditionSpec:
    """One explicitly named condition: a regime and model overrides on top of `base`."""

    name: str = ""  # letters, digits and _ (it labels the condition and names it in pattern measures)
    regime: str = "quota"
    overrides: list[str] = field(default_factory=list)


@dataclass
class DesignSpec:
    """A sampled design whose points become the experiment's conditions (Morris screening)."""

    method: str = "morris"
    regime: str = "quota"
    parameters: dict[str, list[Any]] = field(default_factory=dict)  # numeric config key -> [low, high]
    trajectories: int = 10  # Morris r: (parameters + 1) * r design points
    levels: int = 4  # grid levels per parameter (even)
    seed: int = 0  # seeds the SALib sample and the bootstrap of mu_star's confidence interval
    resamples: int = 1000  # bootstrap resamples for mu_star's 95 % confidence interval
    # A confirmation screen: parameter -> the one outcome it is predicted to move above its noise floor,
    # written down before the runs (from an earlier screen or the mechanism), so the test can fail.
    hypotheses: dict[str, str] = field(default_factory=dict)


@dataclass
class CheckSpec:
    """A pattern check: a measure over conditions and outcomes, and the band it must lie in."""

    measure: str = ""  # <condition>:<outcome>[@day<N>] [- <condition>:<outcome>[@day<N>]]
    band: list[float | None] = field(default_factory=lambda: [None, None])  # [low, high]; null = open
    kind: str = ""  # input | target (used to calibrate) | prediction (not used in calibration)
    figure: str = ""  # the public figure this check reads (default: the pattern's)


@dataclass
class PatternSpec:
    id: str = ""
    claim: str = ""  # the pattern in words
    figure: str = ""  # the public figure it is matched against
    source: str = ""
    reason: str = ""  # why the band is what it is
    checks: list[CheckSpec] = field(default_factory=list)


@dataclass
class TargetSpec:
    """A calibration target: a summary outcome, its public figure and the figure's accepted half-width."""

    outcome: str = ""
    figure: float = 0.0
    width: float = 0.0


@dataclass
class CalibrationSpec:
    targets: list[TargetSpec] = field(default_factory=list)


@dataclass
class ExperimentConfig:
    name: str = ""  # default: the file name
    question: str = ""  # the policy question, in plain words (goes into report.md)
    base: list[str] = field(default_factory=list)  # model overrides applied to every run
    regimes: list[str] = field(default_factory=lambda: ["quota"])  # policy group options
    baseline: str = ""  # a regime every other regime is compared with (paired by seed), e.g. quota
    sweep: dict[str, list[Any]] = field(default_factory=dict)  # config key -> values (cartesian product)
    replicates: int = 20
    seed: int = 0  # base seed: replicate seeds are SeedSequence(seed).spawn(replicates)
    outcomes: list[str] = field(default_factory=list)  # summary outcomes reported (runs.csv keeps all)
    table: list[str] = field(default_factory=list)  # outcomes in the printed table; default first 5
    figures: list[FigureSpec] = field(default_factory=list)
    timeseries_every: int = 1  # keep every n-th day in timeseries.csv.gz (and the last day)
    # each run records its states every n-th day (and the days its summary reads), not every day: the
    # days timeseries.csv.gz keeps cost the same, the others nothing (a divisor of timeseries_every)
    record_every: int = 1
    launcher: str = "local"  # a configs/hydra/launcher/*.yaml name or a plugin launcher name
    # Instead of regimes x sweep: explicitly named conditions, or a sampled design (not both).
    conditions: list[ConditionSpec] = field(default_factory=list)
    design: DesignSpec | None = None
    patterns: list[PatternSpec] = field(default_factory=list)  # checks evaluated on the conditions' runs
    calibration: CalibrationSpec | None = None  # rank the sweep's grid cells by distance to these targets


FIELDS = tuple(f.name for f in dataclasses.fields(ExperimentConfig))
CHECK_KINDS = ("input", "target", "prediction")
DESIGN_METHODS = ("morris",)


def experiment_names() -> list[str]:
    return sorted(p.stem for p in EXPERIMENT_DIR.glob("*.yaml"))


def find_experiment(name_or_path: str) -> Path:
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise ExperimentError(f"no experiment file {name_or_path}")
        return path
    candidate = EXPERIMENT_DIR / f"{name_or_path}.yaml"
    if not candidate.is_file():
        raise ExperimentError(
            f"unknown experiment {name_or_path!r}; allowed: {' | '.join(experiment_names())} or a path to a YAML file"
        )
    return candidate


# --- outcome names -------------------------------------------------------------------------------


def outcome_names() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(summary outcomes, time-series columns) of the model."""
    from sim.measures import DAILY_OUTCOMES, SUMMARY_OUTCOMES

    return SUMMARY_OUTCOMES, DAILY_OUTCOMES


@functools.cache
def config_keys() -> tuple[str, ...]:
    return tuple(flatten(SimConfig()))


# --- loading -------------------------------------------------------------------------------------


def _show(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix("\n...")
    return text if len(text) <= 80 else text[:77] + "..."


class _Refused(Exception):
    """(key, value, allowed): experiment_from_dict words it as one line naming the experiment file."""


def parse_override(item: str) -> tuple[str, Any]:
    key, sep, text = item.partition("=")
    if not sep or not key:
        raise ExperimentError(f"invalid override {item!r}; expected key=value")
    try:
        value = yaml.safe_load(text) if text else ""
    except yaml.YAMLError:
        value = text
    return key.strip(), value


def load_experiment(name_or_path: str | Path, overrides: list[str] | None = None) -> ExperimentConfig:
    """Read, override and validate an experiment file; raise ExperimentError (one line) on any problem.

    `overrides` are `field=value` items for the experiment itself (`replicates=4`,
    `regimes=[quota,training]`, `sweep.agency.staff_capacity=[0.5,1]`); model overrides
    belong in `base`.
    """
    path = find_experiment(str(name_or_path))
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        first = str(err).strip().splitlines()[0]
        raise ExperimentError(f"invalid experiment {path}: not valid YAML ({first})") from None
    return experiment_from_dict(raw if raw is not None else {}, str(path), overrides, default_name=path.stem)


def refuse_interpolations(value: Any, key: str = "") -> None:
    """Values read from an experiment file or a manifest are data: `${...}` (OmegaConf) is refused, never resolved."""
    if isinstance(value, str):
        if "${" in value:
            raise _Refused(key or "<value>", value, "plain values (interpolations such as ${...} are not resolved)")
    elif isinstance(value, dict):
        for k, v in value.items():
            refuse_interpolations(str(k), f"{key}.{k}" if key else str(k))
            refuse_interpolations(v, f"{key}.{k}" if key else str(k))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            refuse_interpolations(v, f"{key}[{i}]")


def experiment_from_dict(
    raw: Any, source: str, overrides: list[str] | None = None, default_name: str = "experiment"
) -> ExperimentConfig:
    try:
        exp = _structured(raw, overrides)
        exp.name = exp.name or default_name
        _validate(exp)
    except _Refused as err:
        key, value, allowed = err.args
        raise ExperimentError(f"invalid experiment {source}: {key}={_show(value)}; allowed: {allowed}") from None
    return exp


def _structured(raw: Any, overrides: list[str] | None) -> ExperimentConfig:
    """The overridden mapping, its keys and value types checked, as an ExperimentConfig."""
    if not isinstance(raw, dict):
        raise _Refused("<file>", raw, "a mapping of experiment fields")
    raw = dict(raw)
    for item in overrides or []:
        key, value = parse_override(item)
        # the rest of sweep.<key> and design.parameters.<key> is one dotted model config key
        prefix = next((p for p in ("sweep.", "design.parameters.", "design.") if key.startswith(p)), "")
        node = raw
        for part in prefix.split(".")[:-1]:
            node[part] = dict(node.get(part) or {})
            node = node[part]
        node[key[len(prefix) :]] = value
    _check_keys(raw, ExperimentConfig, "")
    refuse_interpolations(raw)
    sweep = raw.get("sweep")
    if sweep is not None and not isinstance(sweep, dict):
        raise _Refused("sweep", sweep, "a mapping of config key -> non-empty list of values")
    for key in ("base", "regimes", "outcomes", "table"):
        if isinstance(raw.get(key), str):
            raw[key] = [raw[key]]
    exp = typed(raw, ExperimentConfig, "")
    assert isinstance(exp, ExperimentConfig)
    return exp


_WHOLE = re.compile(r"[+-]?[0-9]+")


def typed(value: Any, hint: Any, key: str = "") -> Any:
    """A YAML value as its field's type hint says, nested specs built from their mappings (keys already checked).

    The conversions of a structured config: text that is a whole number or a number is one
    (`"3"` for an int, `"0.5"` for a float), a number is text where text is wanted (`3` -> `"3"`),
    a whole number is a float where a float is wanted; anything else is refused with its full key.
    """
    if dataclasses.is_dataclass(hint):
        hints = typing.get_type_hints(hint)
        fields = {k: typed(v, hints[k], f"{key}.{k}" if key else k) for k, v in value.items()}
        return hint(**fields)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if type(None) in args:  # X | None
        return None if value is None else typed(value, next(a for a in args if a is not type(None)), key)
    if hint is Any:
        return copy.deepcopy(value)  # not shared with the mapping it came from (a manifest, say)
    if origin is list:
        if not isinstance(value, list):
            raise _Refused(key, value, "a list")
        return [typed(v, args[0], f"{key}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise _Refused(key, value, "a mapping")
        return {str(k): typed(v, args[1], f"{key}.{k}") for k, v in value.items()}
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise _Refused(key, value, "true or false")
    if hint is int:
        if number and isinstance(value, int):
            return value
        if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
            return int(value)
        raise _Refused(key, value, "a whole number")
    if hint is float:
        if number:
            return float(value)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                return float(value)
        raise _Refused(key, value, "a number")
    if hint is str:
        if isinstance(value, (str, int, float)):
            return str(value)
        raise _Refused(key, value, "text")
    raise TypeError(f"no conversion for {key}: {hint!r}")  # a spec field of a type this walker does not know


def _check_keys(raw: Any, spec: type, where: str) -> None:
    """Unknown keys of a spec's mapping and of the specs nested in it, each named with the keys allowed there."""
    hints = typing.get_type_hints(spec)
    if where and not isinstance(raw, dict):
        raise _Refused(where, raw, f"a mapping with keys {' | '.join(hints)}")
    for key, value in raw.items():
        if key not in hints:
            raise _Refused(f"{where}.{key}" if where else str(key), value, " | ".join(hints))
    for key, value in raw.items():
        label = f"{where}.{key}" if where else key
        inner = [t for t in typing.get_args(hints[key]) if isinstance(t, type) and dataclasses.is_dataclass(t)]
        if not inner or value is None:
            continue
        if typing.get_origin(hints[key]) is not list:
            _check_keys(value, inner[0], label)
        elif not isinstance(value, list):
            raise _Refused(label, value, f"a list of mappings with keys {' | '.join(typing.get_type_hints(inner[0]))}")
        else:
            for i, item in enumerate(value):
                _check_keys(item, inner[0], f"{label}[{i}]")


# --- validation ----------------------------------------------------------------------------------


def _suggest(word: str, choices: list[str] | tuple[str, ...], n: int = 4) -> str:
    close = difflib.get_close_matches(word, list(choices), n=n, cutoff=0.5)
    return ", ".join(close) if close else ", ".join(list(choices)[:n])


def _check_key(key: str, label: str, value: Any) -> None:
    if key in SWEEPABLE_GROUPS or key in config_keys():
        if key == "seed":
            raise _Refused(label, value, "not seed (replicate seeds come from the experiment's `seed`)")
        return
    if key == "policy":
        raise _Refused(label, value, "not policy (list regimes under `regimes`)")
    raise _Refused(label, value, f"a model config key such as {_suggest(key, config_keys())}, or population")


def _known_outcomes(label: str, names: list[str], series: bool = False) -> None:
    """Each name is a summary outcome of the model (or, with `series`, a time-series column)."""
    summary_names, series_names = outcome_names()
    pool, what = (series_names, "a time-series outcome") if series else (summary_names, "a summary outcome")
    for name in names:
        if name not in pool:
            raise _Refused(label, name, f"{what} such as {_suggest(name, pool)}")


def _check_overrides(items: list[str], where: str) -> None:
    """Model overrides `key=value` whose key is a model config key (or population)."""
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise _Refused(where, item, "model overrides of the form key=value")
        _check_key(key.strip().lstrip("+~"), f"{where}.{key.strip()}", value)


def _whole_numbers(spec: Any, where: str, minimum: dict[str, int]) -> None:
    for key, low in minimum.items():
        if getattr(spec, key) < low:
            raise _Refused(f"{where}{key}", getattr(spec, key), f"a whole number >= {low}")


def group_file_problem(group: str, option: str) -> str | None:
    """Why configs/<group>/<option>.yaml cannot be used (malformed or empty), or None."""
    path = CONFIG_DIR / group / f"{option}.yaml"
    name = path.relative_to(CONFIG_DIR.parent)
    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as err:
        return f"{name}: unreadable ({err.strerror or type(err).__name__})"
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).strip().splitlines()[0]
        return f"{name}: not valid YAML ({problem}{where}); allowed: a YAML mapping of {group} settings"
    if raw is None or raw == {}:
        return f"{name}: empty; allowed: a mapping of {group} settings (see configs/{group}/)"
    if not isinstance(raw, dict):
        return f"{name}: {_show(raw)}; allowed: a mapping of {group} settings"
    return None


def check_group_files(exp: ExperimentConfig) -> None:
    """Every policy and population file the experiment uses parses and is not empty (one line, exit 2)."""
    used: list[tuple[str, str]] = [("policy", r) for r in exp.regimes]
    if exp.design is not None:
        used.append(("policy", exp.design.regime))
    items = [*exp.base, *(o for c in exp.conditions for o in c.overrides)]
    items += [f"population={v}" for v in exp.sweep.get("population", [])]
    for item in items:
        key, _, value = str(item).partition("=")
        if key.strip().lstrip("+~") == "population":
            used.append(("population", value.strip()))
    if not any(g == "population" for g, _ in used):
        used.append(("population", "city"))  # the default of configs/config.yaml
    for group, option in dict.fromkeys(used):
        if option not in options(group):
            continue  # named with the allowed options by the validation that follows
        problem = group_file_problem(group, option)
        if problem is not None:
            raise ExperimentError(f"invalid config file {problem}")


def _validate(exp: ExperimentConfig) -> None:
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", exp.name) or exp.name.startswith("."):
        raise _Refused("name", exp.name, "letters, digits, _ . - (it names results/<name>/)")
    regimes = options("policy")
    if exp.conditions or exp.design is not None:
        _validate_explicit(exp, regimes)
    if not exp.regimes:
        raise _Refused("regimes", exp.regimes, f"a non-empty list of {' | '.join(regimes)}")
    for r in exp.regimes:
        if r not in regimes:
            raise _Refused("regimes", r, " | ".join(regimes))
    if len(set(exp.regimes)) != len(exp.regimes):
        raise _Refused("regimes", exp.regimes, "each regime once")
    if exp.baseline and (exp.baseline not in exp.regimes or len(exp.regimes) < 2):
        raise _Refused(
            "baseline",
            exp.baseline,
            f"one of the experiment's regimes ({' | '.join(exp.regimes)}), with at least one other",
        )
    _check_overrides(exp.base, "base")
    for key, values in exp.sweep.items():
        _check_key(key, f"sweep.{key}", values)
        if not isinstance(values, list) or not values:
            raise _Refused(f"sweep.{key}", values, "a non-empty list of values")
        if len({_show(v) for v in values}) != len(values):
            raise _Refused(f"sweep.{key}", values, "distinct values")
        if key in {b.partition("=")[0].strip() for b in exp.base}:
            raise _Refused(f"sweep.{key}", values, "a key not also fixed in base")
    if exp.replicates < 2:
        raise _Refused("replicates", exp.replicates, "a whole number >= 2 (confidence intervals need two runs)")
    _whole_numbers(exp, "", {"seed": 0, "timeseries_every": 1, "record_every": 1})
    if exp.timeseries_every % exp.record_every:
        raise _Refused(
            "record_every",
            exp.record_every,
            f"a divisor of timeseries_every ({exp.timeseries_every}); override record_every too",
        )
    if exp.patterns and exp.record_every != 1:
        raise _Refused("record_every", exp.record_every, "1 (the patterns read every run's daily time series)")
    own = sorted(p.stem for p in LAUNCHER_DIR.glob("*.yaml"))
    launchers = own + [n for n in PLUGIN_LAUNCHERS if n not in own]
    if exp.launcher not in launchers:
        raise _Refused("launcher", exp.launcher, " | ".join(launchers))
    if not exp.outcomes:
        raise _Refused("outcomes", exp.outcomes, "a non-empty list of summary outcomes")
    _known_outcomes("outcomes", exp.outcomes)
    if not exp.table:
        exp.table = list(exp.outcomes[:5])
    for o in exp.table:
        if o not in exp.outcomes:
            raise _Refused("table", o, f"one of the experiment's outcomes ({', '.join(exp.outcomes)})")
    check_group_files(exp)
    if not exp.figures:
        exp.figures = default_figures(exp)
    for i, fig in enumerate(exp.figures):
        _validate_figure(i, fig, exp)
    _validate_patterns(exp)
    _validate_calibration(exp)


# --- explicit conditions, designs and patterns -----------------------------------------------------

_NAME = re.compile(r"[A-Za-z0-9_]+")
_TERM = re.compile(r"\s*(?P<cond>[A-Za-z0-9_]+):(?P<outcome>[A-Za-z0-9_]+)(?:@day(?P<day>[0-9]+))?\s*")


@dataclass(frozen=True)
class Term:
    condition: str
    outcome: str
    day: int | None = None  # None: the run's summary; N: the time series on day N


def parse_measure(text: str) -> list[tuple[int, Term]]:
    """`a:x` or `a:x - b:y` (each optionally `@day<N>`) -> [(+1, term), (-1, term)]; ValueError if malformed."""
    parts = text.split(" - ")
    if not 1 <= len(parts) <= 2:
        raise ValueError(text)
    out = []
    for sign, part in zip((1, -1), parts, strict=False):
        m = _TERM.fullmatch(part)
        if m is None:
            raise ValueError(text)
        day = int(m["day"]) if m["day"] is not None else None
        out.append((sign, Term(m["cond"], m["outcome"], day)))
    return out


def _validate_explicit(exp: ExperimentConfig, regimes: list[str]) -> None:
    """Named conditions or a design replace regimes x sweep; `regimes` becomes the regimes they use."""
    if exp.conditions and exp.design is not None:
        raise _Refused("design", "...", "either conditions or a design, not both")
    if exp.sweep:
        raise _Refused("sweep", exp.sweep, "empty when the experiment lists conditions or a design")
    if exp.baseline:
        raise _Refused("baseline", exp.baseline, "empty when the experiment lists conditions or a design")
    if exp.design is not None:
        _validate_design(exp.design, exp, regimes)
        exp.regimes = [exp.design.regime]
        return
    for i, cond in enumerate(exp.conditions):
        if not _NAME.fullmatch(cond.name):
            raise _Refused(f"conditions[{i}].name", cond.name, "letters, digits and _")
        if cond.name in (c.name for c in exp.conditions[:i]):
            raise _Refused(f"conditions[{i}].name", cond.name, "a name not used by another condition")
        if cond.regime not in regimes:
            raise _Refused(f"conditions[{i}].regime", cond.regime, " | ".join(regimes))
        _check_overrides(cond.overrides, f"conditions[{i}].overrides")
    exp.regimes = list(dict.fromkeys(c.regime for c in exp.conditions))


def _validate_design(design: DesignSpec, exp: ExperimentConfig, regimes: list[str]) -> None:
    if design.method not in DESIGN_METHODS:
        raise _Refused("design.method", design.method, " | ".join(DESIGN_METHODS))
    if design.regime not in regimes:
        raise _Refused("design.regime", design.regime, " | ".join(regimes))
    if len(design.parameters) < 2:
        raise _Refused("design.parameters", design.parameters, "two or more numeric config keys -> [low, high]")
    defaults = flatten(SimConfig())
    fixed = {b.partition("=")[0].strip() for b in exp.base}
    for key, bounds in design.parameters.items():
        label = f"design.parameters.{key}"
        value = defaults.get(key)
        if key not in defaults or key == "seed":
            raise _Refused(label, bounds, f"a numeric model config key such as {_suggest(key, config_keys())}")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _Refused(label, bounds, f"a numeric model config key ({key} is not numeric)")
        if key in fixed:
            raise _Refused(label, bounds, "a key not also fixed in base")
        numbers = len(bounds) == 2 and all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds)
        if not numbers or not bounds[0] < bounds[1]:
            raise _Refused(label, bounds, "[low, high], two numbers with low < high")
    _whole_numbers(design, "design.", {"trajectories": 2, "seed": 0, "resamples": 10})
    if design.levels < 2 or design.levels % 2:
        raise _Refused("design.levels", design.levels, "an even whole number >= 2")
    for key, outcome in design.hypotheses.items():
        if key not in design.parameters:
            raise _Refused(f"design.hypotheses.{key}", outcome, "a key of design.parameters -> an outcome")
        if outcome not in exp.outcomes:
            raise _Refused(f"design.hypotheses.{key}", outcome, "one of the experiment's outcomes")


def _validate_patterns(exp: ExperimentConfig) -> None:
    if not exp.patterns:
        return
    summary_names, series_names = outcome_names()
    if not exp.conditions:
        raise _Refused("patterns", "...", "patterns need named conditions (a `conditions` list)")
    names = [c.name for c in exp.conditions]
    for i, pattern in enumerate(exp.patterns):
        where = f"patterns[{i}]"
        if not pattern.id or pattern.id in (p.id for p in exp.patterns[:i]):
            raise _Refused(f"{where}.id", pattern.id, "a non-empty id not used by another pattern")
        if not pattern.checks:
            raise _Refused(f"{where}.checks", pattern.checks, "a non-empty list of {measure, band}")
        for j, c in enumerate(pattern.checks):
            label = f"{where}.checks[{j}]"
            try:
                terms = parse_measure(c.measure)
            except ValueError:
                raise _Refused(
                    f"{label}.measure",
                    c.measure,
                    "<condition>:<outcome>[@day<N>], or the difference of two such terms (a - b)",
                ) from None
            for _, term in terms:
                if term.condition not in names:
                    raise _Refused(f"{label}.measure", c.measure, f"conditions among {' | '.join(names)}")
                pool = summary_names if term.day is None else series_names
                if term.outcome not in pool:
                    what = "a summary outcome" if term.day is None else "a time-series outcome (with @day)"
                    raise _Refused(f"{label}.measure", c.measure, f"{what} such as {_suggest(term.outcome, pool)}")
                if term.day is not None and term.day < 1:
                    raise _Refused(f"{label}.measure", c.measure, "@day<N> with N >= 1 (the first recorded day)")
            if c.kind not in CHECK_KINDS:
                raise _Refused(f"{label}.kind", c.kind, " | ".join(CHECK_KINDS))
            band = c.band
            if len(band) != 2 or (band[0] is None and band[1] is None):
                raise _Refused(f"{label}.band", band, "[low, high] with at least one bound (null = open)")
            if band[0] is not None and band[1] is not None and band[0] > band[1]:
                raise _Refused(f"{label}.band", band, "[low, high] with low <= high")


def _validate_calibration(exp: ExperimentConfig) -> None:
    cal = exp.calibration
    if cal is None:
        return
    if not exp.sweep or exp.conditions or exp.design is not None:
        raise _Refused("calibration", "...", "a calibration needs a `sweep` grid (not conditions or a design)")
    if not cal.targets:
        raise _Refused("calibration.targets", cal.targets, "a non-empty list of {outcome, figure, width}")
    for i, t in enumerate(cal.targets):
        _known_outcomes(f"calibration.targets[{i}].outcome", [t.outcome])
        if not t.width > 0:
            raise _Refused(f"calibration.targets[{i}].width", t.width, "a number > 0")


def default_figures(exp: ExperimentConfig) -> list[FigureSpec]:
    """Bars of the outcomes, and their time series, when an experiment names no figures (none for a design)."""
    if exp.design is not None:
        return []
    figures = [FigureSpec(kind="bars", name="outcomes", outcomes=list(exp.outcomes[:8]))]
    series = [o for o in exp.outcomes if o in outcome_names()[1]][:6]
    if series:
        figures.append(FigureSpec(kind="timeseries", name="timeseries", outcomes=series))
    return figures


def _validate_figure(i: int, fig: FigureSpec, exp: ExperimentConfig) -> None:
    label = f"figures[{i}]"
    if fig.kind not in FIGURE_KINDS:
        raise _Refused(f"{label}.kind", fig.kind, " | ".join(FIGURE_KINDS))
    if not fig.name:
        fig.name = f"{fig.kind}_{i + 1}"
    if not re.fullmatch(r"[A-Za-z0-9_-]+", fig.name):
        raise _Refused(f"{label}.name", fig.name, "letters, digits, _ and - (a file name)")
    if fig.name in (f.name for f in exp.figures[:i]):
        raise _Refused(f"{label}.name", fig.name, "a name not used by another figure")
    if not fig.outcomes:
        fig.outcomes = list(exp.outcomes)
    _known_outcomes(f"{label}.outcomes", fig.outcomes, series=fig.kind == "timeseries")
    swept = list(exp.sweep)
    if fig.kind == "heatmap":
        for axis in ("x", "y"):
            value = getattr(fig, axis)
            if value not in swept:
                raise _Refused(f"{label}.{axis}", value, f"a swept key ({' | '.join(swept) or 'the sweep is empty'})")
        if fig.x == fig.y:
            raise _Refused(f"{label}.y", fig.y, "a swept key other than x")
    elif fig.x or fig.y:
        raise _Refused(f"{label}.x", fig.x or fig.y, "empty (x and y belong to heatmaps)")
    if fig.contrast:
        if fig.kind != "heatmap":
            raise _Refused(f"{label}.contrast", fig.contrast, "empty (contrasts belong to heatmaps)")
        if len(fig.contrast) != 2 or fig.contrast[0] == fig.contrast[1]:
            raise _Refused(f"{label}.contrast", fig.contrast, "two different regimes [a, b] (plots a - b)")
        for r in fig.contrast:
            if r not in exp.regimes:
                raise _Refused(f"{label}.contrast", r, f"one of the experiment's regimes ({' | '.join(exp.regimes)})")


def sim_error(source: str, err: ConfigError, where: str) -> ExperimentError:
    msg = str(err).removeprefix("invalid config: ")
    return ExperimentError(f"invalid experiment {source}: {msg} (in {where})")
