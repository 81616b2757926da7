"""`python -m experiments verify results/<name>`: re-run from the manifest, compare every number.

1. Integrity: every file listed in manifest.json exists and has its recorded SHA-256.
2. Re-run: the experiment recorded in the manifest (its resolved spec, not the
   current file in configs/experiment/) runs again into a temporary folder with
   an empty cache, so every run is recomputed.
3. Compare: tables cell by cell and exactly (floats are written in full, so equal
   text means equal bits), report.md line by line, figures by SHA-256.

Prints OK, or each file that differs with its first differing values; exit
status 0 when everything matches, 1 on any difference, 2 when the folder is
not a results folder. A failed integrity check stops there (fail fast): a
re-run cannot vouch for files that are not the ones the experiment wrote.

`--sample K [--seed S]` is the reviewer's spot check: K runs chosen at random
(seeded from the clock unless S is given; the seed is printed) are re-run and
their rows of runs.csv compared exactly; summary.csv, contrasts.csv, the
figures, report.md and the analyses' tables are recomputed from the stored
runs.csv (and the stored timeseries.csv.gz, for time-series figures) and
compared exactly. Outputs that need every run's own time series (pattern
measures on a given day) cannot be recomputed from the tables: the sample says
so and leaves them to the integrity check.

Values read from the manifest are data: an OmegaConf interpolation (`${...}`)
in them is refused, never resolved.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import io
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from experiments import aggregate
from experiments.cache import RunStore, code_fingerprint
from experiments.fsio import write_atomic, write_json
from experiments.plan import Plan, make_plan
from experiments.publish import discard_staging, new_staging, recover, sha256_file, swap_in
from experiments.runner import MANIFEST, Options, analyses, load_manifest, run_experiment, versions
from experiments.spec import ExperimentError, experiment_from_dict
from sim.provenance import provenance

SHOW = 5  # differing cells shown per file
KEY_COLUMNS = ("contrast", "condition", "regime", "seed", "day", "outcome")
Out = Callable[[str], None]


def _frame(data: bytes) -> pd.DataFrame | None:
    try:
        return aggregate.read_csv(io.BytesIO(data))
    except pd.errors.EmptyDataError:
        return None


def compare_csv(name: str, stored: bytes, rerun: bytes, show: int = SHOW) -> list[str]:
    """Cell by cell with `DataFrame.compare` (NaN equal to NaN); one line per difference, at most `show`."""
    a, b = _frame(stored), _frame(rerun)
    if a is None or b is None:
        return [f"{name}: {'stored' if a is None else 're-run'} file is empty"]
    out: list[str] = []
    if list(a.columns) != list(b.columns):
        missing, extra = [c for c in b if c not in a], [c for c in a if c not in b]
        out.append(f"{name}: columns differ (missing in stored: {missing or '-'}; not in re-run: {extra or '-'})")
    if len(a) != len(b):
        out.append(f"{name}: {len(a)} rows stored, {len(b)} in the re-run")
    common, n = [c for c in a if c in b], min(len(a), len(b))
    x, y = a[common].iloc[:n], b[common].iloc[:n].set_axis(a.index[:n])
    cells = x.compare(y).stack(level=0, future_stack=True).dropna(how="all").index  # (row, column), row-major
    for r, col in cells[:show]:
        key = ", ".join(f"{k}={a.at[r, k]}" for k in KEY_COLUMNS if k in a)
        out.append(f"{name} row {r + 1} ({key}) column {col}: stored {x.at[r, col]}, re-run {y.at[r, col]}")
    if len(cells) > show:
        out.append(f"{name}: ... {len(cells) - show} more differing values ({len(cells)} in all)")
    return out


def compare_text(name: str, stored: bytes, rerun: bytes, show: int = SHOW) -> list[str]:
    a, b = stored.decode().splitlines(), rerun.decode().splitlines()
    out = [
        f"{name} line {i}: stored {x[:150]!r}, re-run {y[:150]!r}"
        for i, (x, y) in enumerate(zip(a, b, strict=False), start=1)
        if x != y
    ][:show]
    if len(a) != len(b):
        out.append(f"{name}: {len(a)} lines stored, {len(b)} in the re-run")
    return out


def compare_file(name: str, stored: Path, rerun: Path | bytes) -> list[str]:
    """The stored file against the re-run's (a file, or the bytes recomputed in memory)."""
    if isinstance(rerun, Path):
        if not rerun.exists():
            return [f"{name}: not produced by the re-run"]
        rerun = rerun.read_bytes()
    a, b = stored.read_bytes(), rerun
    if name.endswith(".gz"):
        a, b = gzip.decompress(a), gzip.decompress(b)
    if name.endswith((".csv", ".csv.gz")):
        return compare_csv(name, a, b)
    if name.endswith(".md"):
        return compare_text(name, a, b)
    return [f"{name}: bytes differ (SHA-256) from the re-run"] if a != b else []


def _config_diffs(recorded: list[dict[str, Any]], plan: Plan) -> list[str]:
    out = []
    for rec, cond in zip(recorded, plan.conditions, strict=False):
        now = _flat(dataclasses.asdict(cond.config))
        then = _flat(rec.get("config", {}))
        for key in sorted(set(now) | set(then)):
            if now.get(key, "<absent>") != then.get(key, "<absent>"):
                out.append(
                    f"condition {cond.index} ({cond.label}): {key} was {then.get(key, '<absent>')!r} "
                    f"in the manifest, composes to {now.get(key, '<absent>')!r} now"
                )
    if len(recorded) != len(plan.conditions):
        out.append(f"{len(recorded)} conditions in the manifest, {len(plan.conditions)} now")
    return out


def _flat(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def verify(
    folder: Path,
    launcher: str | None = None,
    hydra_overrides: list[str] | None = None,
    keep: bool = False,
    out: Out = print,
    sample: int | None = None,
    sample_seed: int | None = None,
) -> int:
    """Check, re-run (every run, or a sample of `sample`) and compare a results folder; 0 when it reproduces."""
    folder = Path(folder).absolute()
    for note in recover(folder.parent, folder.name):
        out(f"[verify] {note}")
    if not (folder / MANIFEST).is_file():
        raise ExperimentError(f"{folder} is not a results folder (no {MANIFEST})")
    try:
        manifest = load_manifest(folder)
        files: dict[str, str] = manifest["files"]
        record = manifest["experiment"]
    except (ValueError, KeyError, TypeError) as err:
        raise ExperimentError(f"{folder / MANIFEST} is not a govsim manifest ({type(err).__name__}: {err})") from None

    # 1. integrity of what is stored
    problems: list[str] = []
    for name, digest in files.items():
        if not (folder / name).is_file():
            problems.append(f"{name}: listed in the manifest but missing")
        elif sha256_file(folder / name) != digest:
            problems.append(f"{name}: changed since the experiment wrote it (SHA-256 differs from the manifest)")
    problems += [
        f"{p.name}: not listed in the manifest"
        for p in sorted(folder.iterdir())
        if p.name != MANIFEST and p.name not in files
    ]
    if problems:  # fail fast: nothing to gain from re-running against files that are not what was written
        return _different(folder, problems, [], out, "integrity check failed; nothing was re-run")

    # 2. what differs in the environment (explains differences; not itself a failure)
    notes = []
    if manifest.get("code_fingerprint") != code_fingerprint():
        notes.append(
            f"model code or numeric packages differ from the run that wrote these results "
            f"(fingerprint {manifest.get('code_fingerprint')} then, {code_fingerprint()} now; "
            f"commit then {manifest.get('git_commit')})"
        )
    now_versions = versions(str(manifest.get("launcher", {}).get("name", "")))
    for pkg, then in sorted(manifest.get("versions", {}).items()):
        if now_versions.get(pkg) != then:
            notes.append(f"{pkg} {then} then, {now_versions.get(pkg)} now")
    for note in notes:
        out(f"note: {note}")

    # 3. re-run from the manifest's resolved experiment, on this machine whatever the original ran on
    plan = recorded_plan(folder, manifest)
    problems += _config_diffs(manifest.get("conditions", []), plan)
    recorded_seeds = manifest.get("seeds", {}).get("values")
    if recorded_seeds is not None and recorded_seeds != plan.seeds:
        problems.append(f"replicate seeds differ: manifest {recorded_seeds[:3]}..., now {plan.seeds[:3]}...")
    launcher, hydra = launcher or "local", list(hydra_overrides or [])
    work = Path(tempfile.mkdtemp(prefix=f"govsim-verify-{plan.experiment.name}-"))
    try:
        if sample is None:
            ok = _rerun_all(folder, plan, record, files, work, launcher, hydra, out, problems)
        else:
            ok = _rerun_sample(folder, plan, files, work, launcher, hydra, out, problems, sample, sample_seed)
    finally:
        if keep:
            out(f"[verify] re-run kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if ok is None:
        return 1
    if problems:
        return _different(folder, problems, notes, out)
    out(ok)
    return 0


def _rerun_all(
    folder: Path,
    plan: Plan,
    record: dict[str, Any],
    files: dict[str, str],
    work: Path,
    launcher: str,
    hydra: list[str],
    out: Out,
    problems: list[str],
) -> str | None:
    """Every run again with an empty cache; every file compared. The OK line, or None if the re-run failed."""
    opts = Options(
        results_root=work / "results",
        cache_root=work / "cache",
        launcher=launcher,
        hydra_overrides=hydra,
        cli_overrides=list(record.get("cli_overrides", [])),
        source_text=record.get("file_text", ""),
        out=out,
        err=out,
        print_table=False,
    )
    out(f"[verify] re-running {plan.experiment.name} from {folder / MANIFEST} in {work}")
    outcome = run_experiment(plan, opts)
    if outcome.status != 0:
        out(f"[verify] the re-run did not finish (status {outcome.status}); nothing to compare")
        return None
    rerun = work / "results" / plan.experiment.name
    for name in sorted(set(files) | set(load_manifest(rerun)["files"])):
        if name in files:
            problems += compare_file(name, folder / name, rerun / name)
        else:
            problems.append(f"{name}: produced by the re-run but not in the stored results")
    return f"OK: {folder} reproduces exactly ({len(files)} files, {len(plan.runs)} runs, every number identical)"


def _rerun_sample(
    folder: Path,
    plan: Plan,
    files: dict[str, str],
    work: Path,
    launcher: str,
    hydra: list[str],
    out: Out,
    problems: list[str],
    k: int,
    seed: int | None,
) -> str | None:
    """Re-run K random runs and compare their rows; recompute the derived files from the stored tables."""
    from experiments.launch import Progress, launch, preflight

    seed = int(time.time_ns() % 2**31) if seed is None else seed
    k = min(k, len(plan.runs))
    chosen = sorted(random.Random(seed).sample(range(len(plan.runs)), k))
    out(
        f"[verify] sample: {k} of {len(plan.runs)} runs, seed {seed} (repeat with --sample {k} --seed {seed}): "
        f"rows {', '.join(str(i + 1) for i in chosen)} of runs.csv"
    )
    lines = (folder / "runs.csv").read_text().splitlines()
    stored_rows = "\n".join([lines[0], *(lines[i + 1] for i in chosen if i + 1 < len(lines))]) + "\n"
    runs = [plan.runs[i] for i in chosen]
    cfg = preflight(launcher, hydra)
    store = RunStore(work / "cache" / plan.experiment.name / code_fingerprint())
    progress = Progress(plan.experiment.name, k, 0, out)
    out(f"[verify] re-running {k} runs in {work}")
    result = launch(plan, runs, store, launcher, hydra, progress, target=str(cfg.get("_target_", "")))
    missing = [r for r in runs if not store.done(r.run_id)]
    if result.interrupted or missing:
        out(f"[verify] the re-run did not finish ({len(missing)} of {k} runs missing); nothing to compare")
        return None
    rerun = aggregate.csv_bytes(aggregate.runs_table(dataclasses.replace(plan, runs=runs), store))
    problems += [
        p.replace("runs.csv row", "runs.csv sampled row") for p in compare_csv("runs.csv", stored_rows.encode(), rerun)
    ]
    derived, kept = from_tables(folder, plan)
    for name, content in derived.items():
        if name in files:
            problems += compare_file(name, folder / name, content)
        else:
            problems.append(f"{name}: recomputed from runs.csv but not in the stored results")
    if kept:
        out(
            f"[verify] not recomputed in a sample (they need every run's own time series; checked by SHA-256 "
            f"only, and read back for the report): {', '.join(kept)}"
        )
    return (
        f"OK: {folder}: {k} sampled runs reproduce exactly and {', '.join(sorted(derived))} recompute exactly from "
        f"runs.csv (seed {seed})"
    )


def _different(folder: Path, problems: list[str], notes: list[str], out: Out, why: str = "") -> int:
    out(f"DIFFERENT: {folder} does not reproduce ({len(problems)} problems{'; ' + why if why else ''}):")
    for p in problems:
        out(f"  {p}")
    if notes and any(".png" in p for p in problems):
        out("  (figures also differ when matplotlib or fonts differ; the tables above are the numbers)")
    return 1


def recorded_plan(folder: Path, manifest: dict[str, Any]) -> Plan:
    """The plan of the experiment as the manifest recorded it (never the current file in configs/experiment/)."""
    record = manifest["experiment"]
    source = f"{folder / MANIFEST}"
    return make_plan(experiment_from_dict(record["resolved"], source, default_name=record["name"]), source)


class TableStore:
    """A results folder as a run store: summaries are in runs.csv, per-run time series are not."""

    def timeseries(self, rid: str) -> Any:
        raise LookupError("per-run time series are not in a results folder")


def from_tables(folder: Path, plan: Plan) -> tuple[dict[str, bytes], list[str]]:
    """Every derived file recomputed from the folder's runs.csv and timeseries.csv.gz, and the analysis tables
    that need every run's own time series and are therefore read back as stored (pattern measures on a day)."""
    from experiments.figures import render_figures
    from experiments.patterns import TABLE
    from experiments.report import report_md

    runs = aggregate.read_csv(folder / "runs.csv")
    outcomes = aggregate.outcome_columns(runs, plan)
    runs[outcomes] = runs[outcomes].astype(float)
    summary, contrasts = aggregate.summary_table(plan, runs), aggregate.contrast_table(plan, runs)
    series = aggregate.read_csv(folder / "timeseries.csv.gz")
    tables = {"runs": runs, "summary": summary, "timeseries": series, "contrasts": contrasts}
    derived = {"summary.csv": aggregate.csv_bytes(summary)}
    if not contrasts.empty:
        derived["contrasts.csv"] = aggregate.csv_bytes(contrasts)
    figure_files = {spec.name: f"{spec.name}.png" for spec in plan.experiment.figures}
    derived.update({figure_files[k]: v for k, v in render_figures(plan.experiment.figures, plan, tables).items()})
    kept: list[str] = []
    try:
        extras = analyses(plan, TableStore(), tables)  # type: ignore[arg-type]
    except LookupError:
        tables["patterns"] = aggregate.read_csv(folder / TABLE)
        extras, kept = analyses(plan, TableStore(), tables), [TABLE]  # type: ignore[arg-type]
    for extra in extras:
        derived.update({k: v for k, v in extra.files.items() if k not in kept})
    derived["report.md"] = report_md(plan, tables, figure_files, extras).encode()
    return derived, kept


def republish(folder: Path, out: Callable[[str], None] = print) -> None:
    """Rewrite a results folder's tables, figures and report from its own runs.csv (no run is repeated).

    runs.csv and timeseries.csv.gz are kept byte for byte (refused if they differ from the manifest's
    SHA-256); the manifest gets the new files' SHA-256 and a `republished` note; the folder is swapped in whole.
    """
    folder = Path(folder).absolute()
    manifest = load_manifest(folder)
    base = ["runs.csv", "timeseries.csv.gz"]
    for name in base:
        if sha256_file(folder / name) != manifest["files"].get(name):
            raise ExperimentError(f"{folder / name}: differs from its SHA-256 in the manifest; not republished")
    derived, kept = from_tables(folder, recorded_plan(folder, manifest))
    staging = new_staging(folder.parent, folder.name)
    try:
        for name in [*base, *kept]:
            shutil.copy2(folder / name, staging / name)
        for name, content in derived.items():
            write_atomic(staging / name, content)
        dropped = sorted(set(manifest["files"]) - set(derived) - {*base, *kept})
        manifest["files"] = {p.name: sha256_file(p) for p in sorted(staging.iterdir())}
        manifest["republished"] = {
            "from": "runs.csv and timeseries.csv.gz of this folder",
            "git_commit": provenance()["git_commit"],
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        write_json(staging / MANIFEST, manifest)
        swap_in(staging, folder)
    except BaseException:
        discard_staging(staging)
        raise
    out(
        f"republished {folder}: {', '.join(sorted(derived))} from runs.csv"
        + (f"; dropped {dropped}" if dropped else "")
    )
