"""Command line: `python -m experiments list | plan | run | verify`.

    python -m experiments run policy_comparison
    python -m experiments run audit_sweep replicates=4 days=365            # experiment field, model override
    python -m experiments run policy_comparison launcher=serial             # or hydra/launcher=serial
    python -m experiments run policy_comparison launcher=slurm hydra.launcher.partition=cpu
    python -m experiments verify results/policy_comparison
    python -m experiments run patterns                                      # pattern-oriented validation
    python -m experiments run sensitivity design.trajectories=4             # Morris screening, fewer trajectories

Items after the experiment are `key=value`:
  - a field of the experiment file (replicates, seed, regimes, outcomes, launcher, timeseries_every,
    sweep.<key>=[...], design.<field>=..., design.parameters.<key>=[low,high]): overrides that field;
  - hydra/launcher=<name>: the launcher; hydra.<key>=<value>: passed to the Hydra multirun as is;
  - anything else is a model override added to every run (days=365, population=classroom,
    agency.staff_capacity=0.5).
Exit status: 0 done, 1 runs failed or verify found differences, 2 invalid input, 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from experiments.plan import Plan
from experiments.publish import Busy
from experiments.spec import FIELDS, ExperimentError, experiment_names, find_experiment, load_experiment


def split_overrides(items: list[str]) -> tuple[list[str], list[str], list[str], str | None]:
    """(experiment overrides, model overrides, hydra overrides, launcher) from `key=value` items."""
    exp, model, hydra_items = [], [], []
    launcher = None
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ExperimentError(f"invalid override {item!r}; allowed: key=value")
        if key == "hydra/launcher":
            launcher = value
        elif key.startswith(("hydra.", "+hydra.", "~hydra.", "hydra/")):
            hydra_items.append(item)
        elif key.split(".", 1)[0] in FIELDS:
            exp.append(item)
        else:
            model.append(item)
    return exp, model, hydra_items, launcher


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m experiments", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the named experiments and their questions")
    for name, text in (("run", "run an experiment (resumes from the run cache)"),
                       ("plan", "show conditions, seeds and the Hydra command; run nothing")):  # fmt: skip
        s = sub.add_parser(name, help=text)
        s.add_argument("experiment", help="a name in configs/experiment/ or a path to a YAML file")
        s.add_argument("overrides", nargs="*", help="key=value (experiment field, hydra.*, or model override)")
        s.add_argument("--results", type=Path, default=None, help="results root (default: results/)")
        s.add_argument("--cache", type=Path, default=None, help="run cache root (default: .cache/experiments/)")
        if name == "run":
            s.add_argument("--fresh", action="store_true", help="discard this experiment's cached runs first")
    v = sub.add_parser("verify", help="re-run a results folder from its manifest and compare every number")
    v.add_argument("folder", type=Path)
    v.add_argument("overrides", nargs="*", help="hydra/launcher=<name> and hydra.* items for the re-run")
    v.add_argument("--keep", action="store_true", help="keep the re-run's temporary folder")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except ExperimentError as err:
        print(f"experiments: {err}", file=sys.stderr)
        return 2
    except Busy as err:
        print(f"experiments: {err}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into `head` and the like
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "list":
        status = 0
        for name in experiment_names():
            try:
                exp = load_experiment(name)
            except ExperimentError as err:
                print(f"{name:22s} INVALID: {err}")
                status = 2
                continue
            print(f"{name:22s} {' '.join(exp.question.split())}")
        return status
    if args.command == "verify":
        from experiments.verify import verify

        exp_items, model, hydra_items, launcher = split_overrides(args.overrides)
        for item in exp_items:
            key, _, value = item.partition("=")
            if key != "launcher":
                model.append(item)
            launcher = value if key == "launcher" else launcher
        if model:
            raise ExperimentError(
                f"invalid override for verify: {' '.join(model)}; allowed: launcher=<name>, hydra.<key>=<value>"
            )
        return verify(args.folder, launcher=launcher, hydra_overrides=hydra_items, keep=args.keep)

    from experiments.plan import make_plan
    from experiments.runner import Options, run_experiment

    exp_items, model, hydra_items, launcher = split_overrides(args.overrides)
    path = find_experiment(args.experiment)
    if model:
        exp_items = _add_to_base(exp_items, path, model)
    if launcher:
        exp_items.append(f"launcher={launcher}")
    exp = load_experiment(path, exp_items)
    source = _rel(path)
    plan = make_plan(exp, source)
    if args.command == "plan":
        _print_plan(plan, hydra_items)
        return 0
    opts = Options(
        hydra_overrides=hydra_items,
        fresh=args.fresh,
        cli_overrides=list(args.overrides),
        source_text=path.read_text(),
    )
    if args.results:
        opts.results_root = args.results
    if args.cache:
        opts.cache_root = args.cache
    return run_experiment(exp, source, opts).status


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _add_to_base(exp_items: list[str], path: Path, model: list[str]) -> list[str]:
    """Append model overrides to the experiment's `base` (from a `base=` override, else from the file)."""
    import json

    import yaml

    from experiments.spec import parse_override

    base: object = None
    rest = []
    for item in exp_items:
        key, value = parse_override(item)
        if key == "base":
            base = value
        else:
            rest.append(item)
    if base is None:
        try:
            raw = yaml.safe_load(path.read_text())
        except yaml.YAMLError:
            raw = None
        base = raw.get("base") if isinstance(raw, dict) else None
    base_list = [base] if isinstance(base, str) else list(base or [])  # type: ignore[call-overload]
    replaced = {m.partition("=")[0].strip() for m in model}
    kept = [b for b in base_list if str(b).partition("=")[0].strip() not in replaced]
    return [*rest, "base=" + json.dumps([*kept, *model])]


def _print_plan(plan: Plan, hydra_items: list[str]) -> None:
    exp = plan.experiment
    print(f"{exp.name}: {len(plan.conditions)} conditions x {exp.replicates} replicates = {len(plan.runs)} runs")
    print(f"seeds: {plan.seeds}")
    for cond in plan.conditions:
        print(f"  [{cond.index}] {cond.label}")
    args = [*plan.hydra_sweep(plan.runs), f"hydra/launcher={exp.launcher}", *hydra_items]
    print("hydra multirun: python -m experiments.task --multirun " + " ".join(args))
    if plan.explicit:
        print("(each +govsim_condition option is a file with that condition's resolved config, written into the "
              "run cache, <cache>/<name>/<code>/conditions/, and added with hydra.searchpath when the runs start)")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
