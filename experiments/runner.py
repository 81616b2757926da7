"""Run an experiment end to end: plan, launch what is missing, aggregate, publish atomically.

plan  -> every condition composed and validated, every run hashed (nothing written yet)
cache -> runs already finished under the same model code are reused (resume)
launch-> the missing runs as one Hydra multirun, progress printed while it runs
check -> any failed or missing run: list them with their error, exit 1, results untouched
write -> tables, figures, report.md and manifest.json into a staging folder,
         then swapped into results/<name>/ in one step
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from experiments import aggregate
from experiments.cache import RunStore, code_fingerprint
from experiments.figures import render_figure
from experiments.launch import Progress, duration, launch, log_tail, preflight
from experiments.plan import Plan, make_plan
from experiments.publish import exclusive, new_staging, recover, sha256_file, swap_in
from experiments.report import Extra, console_table, failure_lines, report_md
from experiments.spec import ExperimentConfig, as_dict
from sim.provenance import package_versions, provenance, write_atomic, write_json

REPO = Path(__file__).resolve().parent.parent
RESULTS_ROOT = REPO / "results"
CACHE_ROOT = REPO / ".cache" / "experiments"
EXTRA_PACKAGES = ("scipy", "SALib", "joblib", "hydra-joblib-launcher", "hydra-submitit-launcher", "submitit")
MANIFEST = "manifest.json"


def _stdout(line: str) -> None:
    print(line, flush=True)


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@dataclass
class Options:
    results_root: Path = RESULTS_ROOT
    cache_root: Path = CACHE_ROOT
    launcher: str | None = None  # default: the experiment's `launcher`
    hydra_overrides: list[str] = field(default_factory=list)  # hydra.* items passed to the multirun
    fresh: bool = False  # ignore (and clear) this experiment's cached runs
    cli_overrides: list[str] = field(default_factory=list)  # recorded in the manifest
    source_text: str = ""  # the experiment file as written, recorded in the manifest
    out: Callable[[str], None] = _stdout
    err: Callable[[str], None] = _stderr
    print_table: bool = True


@dataclass
class Outcome:
    status: int
    plan: Plan
    results: Path | None = None
    failed: list[tuple[Any, str]] = field(default_factory=list)


def run_experiment(exp: ExperimentConfig, source: str, opts: Options) -> Outcome:
    plan = make_plan(exp, source)
    launcher = opts.launcher or exp.launcher
    preflight(launcher, opts.hydra_overrides)
    store = RunStore(opts.cache_root / exp.name / code_fingerprint())
    name = exp.name
    with exclusive(store.root.parent / ".lock"):
        for note in recover(opts.results_root, name):
            opts.out(f"[{name}] {note}")
        if opts.fresh and store.runs.exists():
            shutil.rmtree(store.runs)
        pending = [r for r in plan.runs if not store.done(r.run_id)]
        cached = len(plan.runs) - len(pending)
        opts.out(
            f"[{name}] {len(plan.conditions)} conditions x {exp.replicates} replicates = {len(plan.runs)} runs; "
            f"{cached} already finished (cache {store.root}), {len(pending)} to run with hydra/launcher={launcher}"
        )
        started = time.monotonic()
        log = sweep_dir = None
        command: list[str] = []
        if pending:
            for r in pending:
                store.clear_error(r.run_id)
            progress = Progress(name, len(plan.runs), cached, opts.out)
            launched = launch(plan, pending, store, launcher, opts.hydra_overrides, progress)
            log, sweep_dir, command = launched.log, launched.sweep_dir, launched.command
            if launched.interrupted:
                done = sum(store.done(r.run_id) for r in plan.runs)
                opts.err(
                    f"[{name}] interrupted: {done}/{len(plan.runs)} runs finished and are kept in the cache; "
                    f"results/{name}/ was not touched. Run the same command again to resume."
                )
                return Outcome(130, plan)
        failed = _failures(plan, store)
        if failed and log is not None and all(store.error(r.run_id) is None for r, _ in failed):
            opts.err(f"[{name}] the Hydra multirun exited with status {launched.returncode}; end of its log {log}:")
            opts.err(log_tail(log))
        if failed:
            opts.err(
                f"[{name}] {len(failed)} of {len(plan.runs)} runs failed; results/{name}/ was not written "
                "(a summary without them would be silently incomplete):"
            )
            for line in failure_lines(failed):
                opts.err(line)
            write_json(
                store.root / "failures.json",
                [{"run_id": r.run_id, "condition": r.condition.label, "seed": r.seed, "error": e} for r, e in failed],
            )
            if log is not None:
                opts.err(f"[{name}] job logs: {sweep_dir}  console log: {log}")
            opts.err(f"[{name}] fix the cause and run the same command again: only the failed runs will run.")
            return Outcome(1, plan, failed=failed)
        meta = {
            "launcher": launcher,
            "hydra_overrides": list(opts.hydra_overrides),
            "hydra_command": command,
            "cli_overrides": list(opts.cli_overrides),
            "source": source,
            "source_text": opts.source_text,
            "code_fingerprint": store.root.name,
            "elapsed_seconds": round(time.monotonic() - started, 3),
            "runs_from_cache": cached,
        }
        target = opts.results_root / name
        staging = new_staging(opts.results_root, name)
        try:
            summary, extras = write_outputs(plan, store, staging, meta)
            swap_in(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    if opts.print_table:
        if not any(e.replaces_results for e in extras):
            opts.out("")
            opts.out(console_table(plan, summary))
        for extra in extras:
            if extra.console:
                opts.out("")
                opts.out(extra.console)
    opts.out(f"\n[{name}] wrote {_rel(target)}/ (report.md, manifest.json) in {duration(time.monotonic() - started)}")
    return Outcome(0, plan, results=target)


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _failures(plan: Plan, store: RunStore) -> list[tuple[Any, str]]:
    failed = []
    for run in plan.runs:
        if store.done(run.run_id):
            continue
        other = store.stale(run.run_id)
        if other is not None:
            store.discard(run.run_id)
            failed.append((run, f"the model code changed while the experiment ran (run by {other}, expected "
                                f"{store.code}); run the experiment again"))  # fmt: skip
            continue
        record = store.error(run.run_id)
        failed.append((run, record["error"] if record else "no result: the job did not report (killed or crashed)"))
    return failed


def analyses(plan: Plan, store: RunStore, tables: dict[str, Any]) -> list[Extra]:
    """What the experiment asks for beyond tables and figures: pattern checks, a Morris screening."""
    extras = []
    if plan.experiment.patterns:
        from experiments.patterns import analyse as patterns

        extras.append(patterns(plan, store, tables))
    if plan.experiment.design is not None:
        from experiments.sensitivity import analyse as sensitivity

        extras.append(sensitivity(plan, tables["runs"]))
    return extras


def write_outputs(plan: Plan, store: RunStore, folder: Path, meta: dict[str, Any]) -> Any:
    """Every output file of the experiment into `folder`; manifest.json last. Returns (summary, extras)."""
    runs = aggregate.runs_table(plan, store)
    summary = aggregate.summary_table(plan, runs)
    series = aggregate.timeseries_table(plan, store)
    contrasts = aggregate.contrast_table(plan, runs)
    tables = {"runs": runs, "summary": summary, "timeseries": series, "contrasts": contrasts}
    write_atomic(folder / "runs.csv", aggregate.csv_bytes(runs))
    write_atomic(folder / "summary.csv", aggregate.csv_bytes(summary))
    write_atomic(folder / "timeseries.csv.gz", aggregate.csv_gz_bytes(series))
    if not contrasts.empty:
        write_atomic(folder / "contrasts.csv", aggregate.csv_bytes(contrasts))
    figure_files = {}
    for spec in plan.experiment.figures:
        file = f"{spec.name}.png"
        write_atomic(folder / file, render_figure(spec, plan, tables))
        figure_files[spec.name] = file
    extras = analyses(plan, store, tables)
    for extra in extras:
        for file, content in extra.files.items():
            write_atomic(folder / file, content)
    write_atomic(folder / "report.md", report_md(plan, tables, figure_files, extras))
    write_json(folder / MANIFEST, manifest(plan, store, folder, meta))
    return summary, extras


def versions() -> dict[str, str]:
    return package_versions(EXTRA_PACKAGES)


def manifest(plan: Plan, store: RunStore, folder: Path, meta: dict[str, Any]) -> dict[str, Any]:
    exp = plan.experiment
    prov = provenance()
    run_seconds = [store.record(r.run_id).get("elapsed_seconds", float("nan")) for r in plan.runs]
    return {
        "format": 1,
        "experiment": {
            "name": exp.name,
            "source": meta["source"],
            "file_text": meta["source_text"],
            "cli_overrides": meta["cli_overrides"],
            "resolved": as_dict(exp),
            # JSON is written with sorted keys; the order of the sweep and of the design's parameters
            # matters (conditions, the Morris sample), so it is recorded for verify
            "key_order": {
                "sweep": list(exp.sweep),
                "design_parameters": list(exp.design.parameters) if exp.design is not None else [],
            },
        },
        "conditions": [
            {
                "condition": c.index,
                **({"name": c.name} if c.name else {}),
                "label": c.label,
                "regime": c.regime,
                "values": c.values,
                "overrides": list(c.overrides),
                "config": dataclasses.asdict(c.config),
            }
            for c in plan.conditions
        ],
        "seeds": {
            "base_seed": exp.seed,
            "replicates": exp.replicates,
            "method": f"numpy.random.SeedSequence({exp.seed}).spawn({exp.replicates}); "
            "seed = int(child.generate_state(1)[0]); the same seeds in every condition",
            "values": plan.seeds,
        },
        "runs": [
            {"run_id": r.run_id, "condition": r.condition.index, "replicate": r.replicate, "seed": r.seed}
            for r in plan.runs
        ],
        "run_id": "first 16 hex digits of SHA-256 of the resolved model config as canonical JSON",
        "ci_method": aggregate.CI_METHOD,
        "launcher": {
            "name": meta["launcher"],
            "hydra_overrides": meta["hydra_overrides"],
            "last_command": meta["hydra_command"],
        },
        "code_fingerprint": meta["code_fingerprint"],
        "git_commit": prov["git_commit"],
        "python": sys.version.split()[0],
        "versions": versions(),
        "platform": prov["platform"],
        "command": _command(),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "elapsed_seconds": meta["elapsed_seconds"],
        "runs_from_cache": meta["runs_from_cache"],
        "run_seconds_total": round(sum(run_seconds), 3),
        "files": {p.name: sha256_file(p) for p in sorted(folder.iterdir()) if p.name != MANIFEST},
    }


def _command() -> str:
    """The command line that produced the results (as typed, for `python -m experiments`)."""
    if Path(sys.argv[0]).name == "__main__.py" and Path(sys.argv[0]).parent.name == "experiments":
        return " ".join(["python -m experiments", *sys.argv[1:]])
    return " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])


def load_manifest(folder: Path) -> dict[str, Any]:
    return json.loads((folder / MANIFEST).read_text())
