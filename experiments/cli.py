"""Command line: `python -m experiments list | plan | run | status | collect | verify | republish`.

    python -m experiments run policy_comparison
    python -m experiments run audit_sweep replicates=4 days=365            # experiment field, model override
    python -m experiments run policy_comparison launcher=serial             # or hydra/launcher=serial
    python -m experiments run policy_comparison launcher=slurm hydra.launcher.partition=cpu
    python -m experiments verify results/policy_comparison
    python -m experiments verify results/policy_comparison --sample 5                # spot check: 5 random runs
    python -m experiments run capacity_sweep launcher=slurm --detach                  # submit and return
    python -m experiments status capacity_sweep launcher=slurm                        # done / running / failed
    python -m experiments collect capacity_sweep launcher=slurm                       # publish when all are done
    python -m experiments run patterns                                      # pattern-oriented validation
    python -m experiments run sensitivity design.trajectories=4             # Morris screening, fewer trajectories

Items after the experiment are `key=value`:
  - a field of the experiment file (replicates, seed, regimes, outcomes, launcher, timeseries_every,
    record_every, sweep.<key>=[...], design.<field>=..., design.parameters.<key>=[low,high]): overrides
    that field;
  - hydra/launcher=<name>: the launcher; hydra.<key>=<value>: passed to the Hydra multirun as is;
  - anything else is a model override added to every run (days=365, population=classroom,
    agency.staff_capacity=0.5).
Options (--results, --cache, --fresh, --detach) may come anywhere on the line; relative paths are
taken from the directory you run the command in. A run with overrides that change the results
(anything but launcher and hydra.* items) is a quick look: it publishes to
results/<name>@<hash of the overrides>/ and never replaces the committed results/<name>/.
Exit status: 0 done, 1 runs failed, verify found differences or an I/O error, 2 invalid input,
130 interrupted.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from experiments.fsio import ExperimentIOError, describe_os_error, rel
from experiments.publish import Busy
from experiments.spec import FIELDS, ExperimentError, experiment_names, find_experiment, load_experiment

if TYPE_CHECKING:
    from experiments.plan import Plan

# Imports are lazy: `list`, `plan` and `--help` answer without loading pandas, matplotlib, scipy or the
# runner; only `run`, `status`, `collect` and `verify` import what they use.


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
    for name, text in (
        ("run", "run an experiment (resumes from the run cache)"),
        ("plan", "show conditions, seeds and the command that runs them; run nothing"),
        ("status", "show done, queued or running, failed and missing runs of an experiment"),
        ("collect", "aggregate and publish an experiment whose runs are all done; launch nothing"),
    ):
        s = sub.add_parser(name, help=text)
        s.add_argument("experiment", help="a name in configs/experiment/ or a path to a YAML file")
        s.add_argument("overrides", nargs="*", help="key=value (experiment field, hydra.*, or model override)")
        s.add_argument("--results", type=Path, default=None, help="results root (default: results/)")
        s.add_argument("--cache", type=Path, default=None, help="run cache root (default: .cache/experiments/)")
        if name == "run":
            s.add_argument("--fresh", action="store_true", help="discard this experiment's cached runs first")
            s.add_argument("--detach", action="store_true", help="submit the missing runs and return at once")
            s.add_argument(
                "--chunk",
                type=int,
                default=0,
                metavar="N",
                help="runs per Hydra job (default: at most 8, fewer toward the end so every worker finishes together)",
            )
    r = sub.add_parser(
        "republish", help="rewrite a results folder's tables, figures and report from its runs.csv; run nothing"
    )
    r.add_argument("folders", type=Path, nargs="+", metavar="folder")
    v = sub.add_parser("verify", help="re-run a results folder from its manifest and compare every number")
    v.add_argument("folder", type=Path)
    v.add_argument("overrides", nargs="*", help="hydra/launcher=<name> and hydra.* items for the re-run")
    v.add_argument("--keep", action="store_true", help="keep the re-run's temporary folder")
    v.add_argument("--sample", type=int, default=None, metavar="K", help="re-run K runs chosen at random")
    v.add_argument("--seed", type=int, default=None, metavar="S", help="seed of --sample (default: the clock)")
    return p


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Options anywhere on the line: key=value items after an option are overrides too."""
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    stray = [a for a in extra if a.startswith("-") or "=" not in a or not hasattr(args, "overrides")]
    if stray:
        parser.error(f"unrecognized arguments: {' '.join(stray)}")
    if extra:
        args.overrides = [*args.overrides, *extra]
    for key in ("results", "cache", "folder"):
        if getattr(args, key, None) is not None:
            setattr(args, key, getattr(args, key).expanduser().absolute())  # the user's working directory
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return _dispatch(args)
    except ExperimentError as err:
        print(f"experiments: {err}", file=sys.stderr)
        return 2
    except (Busy, ExperimentIOError) as err:
        print(f"experiments: {err}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into `head` and the like
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as err:  # a full disk, a read-only folder: one line, earlier results intact
        print(f"experiments: I/O error: {describe_os_error(err)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # outside the runs (planning, aggregating, publishing): nothing half-written
        print("experiments: interrupted; earlier results were not touched", file=sys.stderr)
        return 130


def quick_look_name(name: str, items: list[str]) -> str:
    return f"{name}@{hashlib.sha256(' '.join(items).encode()).hexdigest()[:8]}"


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
    if args.command == "republish":
        from experiments.verify import republish

        for folder in args.folders:
            if not (folder / "manifest.json").is_file():
                raise ExperimentError(
                    f"invalid folder {folder}: no manifest.json; allowed: a results folder written by "
                    "`python -m experiments run`"
                )
        for folder in args.folders:
            republish(folder)
        return 0
    if args.command == "verify":
        from experiments.verify import verify

        exp_items, model, hydra_items, launcher = split_overrides(args.overrides)
        for item in exp_items:
            key, _, value = item.partition("=")
            if key == "launcher":
                launcher = value
            else:
                model.append(item)
        if model:
            raise ExperimentError(
                f"invalid override for verify: {' '.join(model)}; allowed: launcher=<name>, hydra.<key>=<value>"
            )
        if args.sample is not None and args.sample < 1:
            raise ExperimentError(f"invalid option --sample {args.sample}; allowed: a whole number >= 1")
        return verify(
            args.folder,
            launcher=launcher,
            hydra_overrides=hydra_items,
            keep=args.keep,
            sample=args.sample,
            sample_seed=args.seed,
        )

    from experiments.plan import make_plan

    exp_items, model, hydra_items, launcher = split_overrides(args.overrides)
    path = find_experiment(args.experiment)
    # the overrides that change the results (not the launcher, which changes where runs go)
    look = [i for i in exp_items if i.partition("=")[0].strip() != "launcher"] + model
    if model:
        exp_items = _add_to_base(exp_items, path, model)
    if launcher:
        exp_items.append(f"launcher={launcher}")
    exp = load_experiment(path, exp_items)
    source = rel(path)
    plan = make_plan(exp, source)
    again = [
        str(Path(args.experiment).absolute()) if Path(args.experiment).exists() else args.experiment,
        *args.overrides,
    ]
    if args.results:
        again += ["--results", str(args.results)]
    if args.cache:
        again += ["--cache", str(args.cache)]
    if args.command == "plan":
        _print_plan(plan, again)
        if look:
            root = rel(args.results) if args.results else "results"
            print(
                f"a quick look ({' '.join(look)}): would publish to {root}/{quick_look_name(exp.name, look)}/, "
                f"not {root}/{exp.name}/"
            )
        return 0
    from experiments.runner import Options, run_experiment, status_lines

    if getattr(args, "chunk", 0) < 0:
        raise ExperimentError(f"invalid option --chunk {args.chunk}; allowed: a whole number >= 1 (runs per job)")

    hint = " ".join(shlex.quote(a) for a in again)
    opts = Options(
        hydra_overrides=hydra_items,
        fresh=getattr(args, "fresh", False),
        cli_overrides=list(args.overrides),
        source_text=path.read_text(),
        publish_name=quick_look_name(exp.name, look) if look else "",
        quick_look=" ".join(look),
        detach=getattr(args, "detach", False),
        chunk=getattr(args, "chunk", 0),
        collect=args.command == "collect",
        hint=hint,
        again=again,
    )
    if args.results:
        opts.results_root = args.results
    if args.cache:
        opts.cache_root = args.cache
    if args.command == "status":
        from experiments.cache import RunStore, code_fingerprint

        store = RunStore(Path(opts.cache_root).absolute() / exp.name / code_fingerprint())
        for line in status_lines(plan, store):
            print(line)
        return 0
    return run_experiment(plan, opts).status


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


def _print_plan(plan: Plan, again: list[str]) -> None:
    exp = plan.experiment
    print(f"{exp.name}: {len(plan.conditions)} conditions x {exp.replicates} replicates = {len(plan.runs)} runs")
    print(f"seeds: {plan.seeds}")
    for cond in plan.conditions:
        print(f"  [{cond.index}] {cond.label}")
    print("run it: " + shlex.join(["python", "-m", "experiments", "run", *again]))


if __name__ == "__main__":
    sys.exit(main())
