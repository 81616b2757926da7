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
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from experiments import aggregate
from experiments.cache import RunStore, code_fingerprint
from experiments.figures import FigureDrawing
from experiments.fsio import ExperimentIOError, check_writable, describe_os_error, rel, write_atomic, write_json
from experiments.launch import (
    Ask,
    Hangup,
    Progress,
    Submission,
    ask_stdin,
    chunk_sizes,
    in_flight,
    launch,
    log_tail,
    preflight,
    submissions,
    wait_for,
)
from experiments.plan import Plan
from experiments.publish import discard_staging, exclusive, new_staging, recover, sha256_file, swap_in
from experiments.report import Extra, console_table, failure_lines, report_md, warnings_for
from experiments.spec import ExperimentError, outcome_names
from sim.config import ConfigError
from sim.memory import check_memory, estimate_bytes
from sim.provenance import package_versions, provenance

REPO = Path(__file__).resolve().parent.parent
RESULTS_ROOT = REPO / "results"
CACHE_ROOT = REPO / ".cache" / "experiments"
EXTRA_PACKAGES = ("scipy", "SALib", "joblib", "hydra-joblib-launcher", "hydra-submitit-launcher", "submitit")
RAY_PACKAGES = ("ray", "hydra-ray-launcher", "cloudpickle")  # recorded when a Ray launcher ran the jobs
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
    # the folder under results_root; default the experiment's name. A run whose overrides differ from
    # the committed experiment publishes to <name>@<hash of the overrides> (a quick look), see cli.py
    publish_name: str = ""
    quick_look: str = ""  # the overrides that made it a quick look (printed)
    detach: bool = False  # submit the missing runs and return (status / collect later)
    collect: bool = False  # publish from the cache only; launch nothing
    ask: Ask = ask_stdin  # Ctrl-C on an attached SLURM run: cancel the jobs?
    chunk: int = 0  # runs per Hydra job; 0: launch.chunk_sizes chooses (guided)
    hint: str = "<experiment>"  # the experiment and its options as typed (for the status / collect hints)
    again: list[str] = field(default_factory=list)  # the same as arguments (for the dependent collect job)


@dataclass
class Outcome:
    status: int
    plan: Plan
    results: Path | None = None
    failed: list[tuple[Any, str]] = field(default_factory=list)


def run_experiment(plan: Plan, opts: Options) -> Outcome:
    """Reuse the cache, launch what is missing (or collect), then publish or say why not."""
    opts.results_root = Path(opts.results_root).absolute()
    opts.cache_root = Path(opts.cache_root).absolute()
    exp = plan.experiment
    launcher = opts.launcher or exp.launcher
    launcher_cfg = preflight(launcher, opts.hydra_overrides)
    memory_check(plan, launcher_cfg)
    name = exp.name
    store = RunStore(opts.cache_root / name / code_fingerprint())
    folder = opts.publish_name or name
    target = opts.results_root / folder
    shown = rel(target) + "/"
    if not opts.collect:
        check_writable(opts.cache_root, cache_bytes(plan), "run cache")
    check_writable(opts.results_root, results_bytes(plan), "results root")
    hangup = Hangup(store.root.parent / f"console-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log")
    with hangup, exclusive(store.root.parent / ".lock"):
        for note in recover(opts.results_root, folder):
            opts.out(f"[{name}] {note}")
        if opts.fresh and store.runs.exists():
            shutil.rmtree(store.runs)
        damaged = [(r.run_id, why) for r in plan.runs if (why := store.check(r.run_id)) is not None]
        for rid, why in damaged[:5]:
            opts.err(f"[{name}] discarded cache entry {store.path(rid)}: {why}; the run will run again")
        if len(damaged) > 5:
            opts.err(
                f"[{name}] ... and {len(damaged) - 5} more damaged cache entries discarded ({len(damaged)} in all)"
            )
        for rid, _ in damaged:
            store.discard(rid)
        wanted = {r.run_id for r in plan.runs}
        flying = in_flight(store, wanted)
        pending = [r for r in plan.runs if not store.done(r.run_id) and r.run_id not in flying]
        cached = sum(store.done(r.run_id) for r in plan.runs)
        if opts.collect and (pending or flying):
            for line in status_lines(plan, store, flying):
                opts.out(line)
            opts.err(
                f"[{name}] not collected: {len(plan.runs) - cached} of {len(plan.runs)} runs are not done yet; "
                f"{shown} was not touched. Run `collect` again when they are, or `run` to launch what is missing."
            )
            return Outcome(1, plan)
        for line in warnings_for(plan):
            opts.err(f"[{name}] warning: {line}")
        busy = ""
        if flying:
            subs = {id(s): s for s in flying.values()}.values()
            busy = f", {len(flying)} in flight ({'; '.join(s.describe() for s in subs)}; not submitted again)"
        opts.out(
            f"[{name}] {len(plan.conditions)} conditions x {exp.replicates} replicates = {len(plan.runs)} runs; "
            f"{cached} already finished (cache {store.root}){busy}, {len(pending)} to run with hydra/launcher={launcher}"
        )
        if opts.quick_look:
            opts.out(
                f"[{name}] quick look ({opts.quick_look}): results go to {shown}, not {rel(opts.results_root / name)}/"
            )
        if opts.detach and flying and not pending:
            opts.out(f"[{name}] nothing to submit: every missing run is already in flight")
            return Outcome(0, plan)
        started = time.monotonic()
        for r in pending:
            store.clear_error(r.run_id)
        progress = Progress(name, len(plan.runs), cached, opts.out)
        launched = None
        interrupted = False
        if pending:
            launched = launch(
                plan,
                pending,
                store,
                launcher,
                opts.hydra_overrides,
                progress,
                target=str(launcher_cfg.get("_target_", "")),
                detach=opts.detach,
                ask=opts.ask,
                out=opts.out,
                waiting=set(flying),
                sizes=chunk_sizes(len(pending), launcher_cfg, opts.chunk),
            )
            interrupted = launched.interrupted
        elif flying:
            interrupted = wait_for(store, wanted, set(flying), progress)
        if opts.detach and launched is not None and not interrupted:
            jobs = f" (SLURM job {','.join(launched.jobs)})" if launched.jobs else ""
            if launched.jobs and opts.again:
                opts.out(f"[{name}] {collect_job(launched.jobs, launcher_cfg, store, name, opts.again)}")
            opts.out(
                f"[{name}] submitted {len(pending)} runs{jobs} and detached; console log {launched.log}. "
                f"`python -m experiments status {opts.hint}` shows progress, "
                f"`python -m experiments collect {opts.hint}` publishes {shown} when all are done"
            )
            return Outcome(0, plan)
        if interrupted:
            done = sum(store.done(r.run_id) for r in plan.runs)
            left = ""
            if launched is not None and launched.jobs and not launched.cancelled:
                left = (
                    f" The SLURM jobs keep running: `python -m experiments collect {opts.hint}` publishes when "
                    "they are done."
                )
            opts.err(
                f"[{name}] interrupted: {done}/{len(plan.runs)} runs finished and are kept in the cache; "
                f"{shown} was not touched.{left} Run the same command again to resume."
            )
            return Outcome(130, plan)
        failed = _failures(plan, store)
        if failed:
            if launched is not None and all(store.error(r.run_id) is None for r, _ in failed):
                opts.err(
                    f"[{name}] the Hydra multirun exited with status {launched.returncode}; "
                    f"end of its log {launched.log}:"
                )
                opts.err(log_tail(launched.log))
            opts.err(
                f"[{name}] {len(failed)} of {len(plan.runs)} runs failed; {shown} was not written "
                "(a summary without them would be silently incomplete):"
            )
            for line in failure_lines(failed):
                opts.err(line)
            records = [
                {"run_id": r.run_id, "condition": r.condition.label, "seed": r.seed, "error": e} for r, e in failed
            ]
            try:
                write_json(store.root / "failures.json", records)
            except OSError as err:
                opts.err(f"[{name}] could not record the failures: {describe_os_error(err)}")
            if launched is not None:
                opts.err(f"[{name}] job logs: {launched.sweep_dir}  console log: {launched.log}")
            opts.err(f"[{name}] fix the cause and run the same command again: only the failed runs will run.")
            return Outcome(1, plan, failed=failed)
        meta = {
            "launcher": launcher,
            "hydra_overrides": list(opts.hydra_overrides),
            "hydra_command": launched.command if launched is not None else _last_command(store),
            "cli_overrides": list(opts.cli_overrides),
            "source": plan.source,
            "source_text": opts.source_text,
            "code_fingerprint": store.root.name,
            "elapsed_seconds": round(time.monotonic() - started, 3),
            "runs_from_cache": cached,
        }
        staging = new_staging(opts.results_root, folder)
        try:
            summary, extras = write_outputs(plan, store, staging, meta)
            swap_in(staging, target)
        except BaseException:
            discard_staging(staging)
            raise
    if opts.print_table:
        if not any(e.replaces_results for e in extras):
            opts.out("")
            opts.out(console_table(plan, summary))
        for extra in extras:
            if extra.console:
                opts.out("")
                opts.out(extra.console)
    look = (
        f" (a quick look: {opts.quick_look}; {rel(opts.results_root / name)}/ is untouched)" if opts.quick_look else ""
    )
    opts.out(
        f"\n[{name}] wrote {shown} (report.md, manifest.json) in {tqdm.format_interval(time.monotonic() - started)}{look}"
    )
    return Outcome(0, plan, results=target)


def collect_job(jobs: list[str], launcher_cfg: dict[str, Any], store: RunStore, name: str, again: list[str]) -> str:
    """Submit `python -m experiments collect ...` to SLURM, to run after the array (afterany); what happened."""
    cmd = [
        "sbatch",
        "--parsable",
        f"--dependency=afterany:{':'.join(jobs)}",
        f"--job-name=govsim-collect-{name}",
        f"--output={store.root / 'collect-%j.log'}",
        f"--chdir={Path.cwd()}",
        "--ntasks=1",
        "--cpus-per-task=1",
    ]
    for key in ("partition", "account", "qos"):
        if launcher_cfg.get(key):
            cmd.append(f"--{key}={launcher_cfg[key]}")
    if isinstance(launcher_cfg.get("mem_gb"), (int, float)):
        cmd.append(f"--mem={int(launcher_cfg['mem_gb'])}G")
    if isinstance(launcher_cfg.get("timeout_min"), int):
        cmd.append(f"--time={launcher_cfg['timeout_min']}")
    cmd += ["--wrap", shlex.join([sys.executable, "-m", "experiments", "collect", *again])]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        why = "" if proc.returncode == 0 else (proc.stderr.strip().splitlines() or ["sbatch failed"])[0]
    except (OSError, subprocess.TimeoutExpired) as err:
        why = type(err).__name__
    if why:
        return f"no collect job submitted ({why}); run `collect` yourself when the runs are done"
    jid = proc.stdout.strip().split(";")[0]
    return f"SLURM job {jid} collects and publishes when the runs have ended (log {store.root / f'collect-{jid}.log'})"


def _last_command(store: RunStore) -> list[str]:
    """The multirun command of the latest submission (from the first line of its console log), else []."""
    subs = submissions(store)
    try:
        return (store.hydra / f"{subs[-1].record['stamp']}.log").read_text().splitlines()[0].split(" ")
    except (OSError, IndexError):
        return []


def status_lines(plan: Plan, store: RunStore, flying: dict[str, Submission] | None = None) -> list[str]:
    """done / in flight / failed / not started, per experiment, with the submissions that are active."""
    flying = in_flight(store, {r.run_id for r in plan.runs}) if flying is None else flying
    done = [r for r in plan.runs if store.done(r.run_id)]
    failed = [r for r in plan.runs if r.run_id not in flying and not store.done(r.run_id) and store.error(r.run_id)]
    rest = len(plan.runs) - len(done) - len(flying) - len(failed)
    name = plan.experiment.name
    lines = [
        f"[{name}] {len(plan.runs)} runs: {len(done)} done, {len(flying)} queued or running, {len(failed)} failed, "
        f"{rest} not started (cache {store.root})"
    ]
    for sub in {id(s): s for s in flying.values()}.values():
        lines.append(f"[{name}] in flight: {sub.describe()}, submitted {sub.record.get('created', '?')}")
    if any(s.unknown for s in submissions(store)):
        lines.append(f"[{name}] note: squeue is not on PATH here, so runs still queued in SLURM count as not started")
    for r in failed[:10]:
        err = (store.error(r.run_id) or {}).get("error", "?")
        lines.append(f"[{name}] failed: {r.condition.label}, replicate {r.replicate} (seed {r.seed}): {err}")
    if len(failed) > 10:
        lines.append(f"[{name}] ... {len(failed) - 10} more failed runs")
    return lines


def cache_bytes(plan: Plan) -> int:
    """Room the run cache needs: each run's compressed time series (at most 8 bytes a value) and its record."""
    columns = len(outcome_names()[1]) + 1
    return sum(r.condition.config.days * columns * 8 + 8192 for r in plan.runs) + 1_000_000


def results_bytes(plan: Plan) -> int:
    """Room the results need: the tables, ~300 kB a figure, twice over (staging beside the old folder)."""
    exp = plan.experiment
    days = max(c.config.days for c in plan.conditions)
    series = len(outcome_names()[1])
    table = len(plan.runs) * 4000 + len(plan.conditions) * (days // exp.timeseries_every + 1) * series * 150
    return 2 * (table + (len(exp.figures) + 2) * 300_000) + 1_000_000


def memory_check(plan: Plan, launcher_cfg: dict[str, Any]) -> None:
    """Refuse (one line) a run whose memory estimate exceeds what one job may use, before anything is built."""
    biggest = max(plan.conditions, key=lambda c: estimate_bytes(c.config))
    target = str(launcher_cfg.get("_target_", ""))
    try:
        if "SlurmLauncher" in target:
            mem_gb = launcher_cfg.get("mem_gb")
            if isinstance(mem_gb, (int, float)) and mem_gb > 0:
                check_memory(biggest.config, int(mem_gb * 1e9), f"hydra.launcher.mem_gb={mem_gb}")
        elif "ray" not in target.lower():
            check_memory(biggest.config)
    except ConfigError as err:
        msg = str(err).removeprefix("invalid config: ")
        raise ExperimentError(f"invalid experiment {plan.source}: {msg} (in {biggest.label})") from None


def _failures(plan: Plan, store: RunStore) -> list[tuple[Any, str]]:
    """Each run without a result, with why: the code changed under it, its error, or why it did not report."""
    failed = []
    for run in plan.runs:
        if store.done(run.run_id):
            continue
        other = store.stale(run.run_id)
        if other is not None:
            store.discard(run.run_id)
            why = (
                f"the model code changed while the experiment ran (run by {other}, expected {store.code}); "
                "run the experiment again"
            )
        elif record := store.error(run.run_id):
            why = record["error"]
        else:
            try:  # no result: the cache cannot be written (full, read-only), else the job was killed or crashed
                check_writable(store.runs, 1_000_000, "run cache")
                why = "no result: the job did not report (killed or crashed)"
            except ExperimentIOError as err:
                why = f"no result: {err}"
        failed.append((run, why))
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
    if plan.experiment.calibration is not None:
        from experiments.calibration import analyse as calibration

        extras.append(calibration(plan, tables["runs"]))
    return extras


def write_outputs(plan: Plan, store: RunStore, folder: Path, meta: dict[str, Any]) -> Any:
    """Every output file of the experiment into `folder`; manifest.json last. Returns (summary, extras).

    The figures are drawn while the other tables are built and written (figures.FigureDrawing)."""
    with FigureDrawing(plan.experiment.figures, plan) as drawing:
        runs = aggregate.runs_table(plan, store)
        summary = aggregate.summary_table(plan, runs)
        contrasts = aggregate.contrast_table(plan, runs)
        tables = {"runs": runs, "summary": summary, "contrasts": contrasts}
        drawing.draw(tables)
        tables["timeseries"] = series = aggregate.timeseries_table(plan, store)
        drawing.draw(tables)
        write_atomic(folder / "runs.csv", aggregate.csv_bytes(runs))
        write_atomic(folder / "summary.csv", aggregate.csv_bytes(summary))
        write_atomic(folder / "timeseries.csv.gz", aggregate.csv_gz_bytes(series))
        if not contrasts.empty:
            write_atomic(folder / "contrasts.csv", aggregate.csv_bytes(contrasts))
        figure_files = {spec.name: f"{spec.name}.png" for spec in plan.experiment.figures}
        extras = analyses(plan, store, tables)
        for extra in extras:
            for file, content in extra.files.items():
                write_atomic(folder / file, content)
        write_atomic(folder / "report.md", report_md(plan, tables, figure_files, extras))
        for name, content in drawing.result().items():
            write_atomic(folder / figure_files[name], content)
    write_json(folder / MANIFEST, manifest(plan, store, folder, meta))
    return summary, extras


def versions(launcher: str = "") -> dict[str, str]:
    return package_versions(EXTRA_PACKAGES + (RAY_PACKAGES if launcher.startswith("ray") else ()))


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
            "resolved": dataclasses.asdict(exp),
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
        "versions": versions(meta["launcher"]),
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
