"""The experiments package end to end: run, aggregate, figures, manifest, verify, launchers, failures.

Experiments here are tiny (a 500-citizen town for 30 days, two replicates), so the
time goes into what is being tested: Hydra multiruns in child processes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import shutil
import socket
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import experiments, read_csv
from scipy import stats

from experiments import aggregate
from experiments.cli import main as cli_main
from experiments.plan import make_plan, replicate_seeds
from experiments.publish import recover, swap_in
from experiments.spec import ExperimentError, load_experiment

DATA = Path(__file__).resolve().parent / "data" / "experiments"
SMALL = DATA / "small.yaml"
TINY = DATA / "tiny.yaml"


def run(exp: Path, root: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return experiments(
        "run", str(exp), *extra, "--results", str(root / "results"), "--cache", str(root / "cache"), env=env
    )


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The small experiment run once through the CLI with the default (joblib) launcher."""
    root = tmp_path_factory.mktemp("small")
    proc = run(SMALL, root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root, proc


# --- end to end ----------------------------------------------------------------------------------


def test_run_writes_tables_figures_report_and_manifest(small):
    root, proc = small
    out = root / "results" / "small"
    names = {p.name for p in out.iterdir()}
    expected = {"runs.csv", "summary.csv", "timeseries.csv.gz", "contrasts.csv", "report.md", "manifest.json"}
    assert expected | {"series.png", "bars.png", "heat.png", "contrast.png"} == names

    # progress was visible while it ran
    assert "/16 runs done" in proc.stdout and "ETA" in proc.stdout

    # runs.csv: one row per run, swept values, the common replicate seeds, every summary outcome
    exp = load_experiment(SMALL)
    plan = make_plan(exp, str(SMALL))
    runs = read_csv(out / "runs.csv")
    assert len(runs) == 8 * 2
    seeds = replicate_seeds(7, 2)
    assert [int(r["seed"]) for r in runs] == seeds * 8
    assert {r["regime"] for r in runs} == {"quota", "integration"}
    assert {r["agency.staff_capacity"] for r in runs} == {"0.5", "2.0"}
    assert [r["run_id"] for r in runs] == [r.run_id for r in plan.runs]
    from experiments.spec import outcome_names

    for outcome in outcome_names()[0]:
        assert outcome in runs[0]

    # summary.csv: n, mean, sd and a Student-t 95 % CI that we recompute here
    summary = read_csv(out / "summary.csv")
    row = next(r for r in summary if r["condition"] == "3" and r["outcome"] == "needs_met_connected")
    values = [float(r["needs_met_connected"]) for r in runs if r["condition"] == "3"]
    mean, sd = np.mean(values), np.std(values, ddof=1)
    half = stats.t.ppf(0.975, 1) * sd / math.sqrt(2)
    assert int(row["n"]) == 2
    assert float(row["mean"]) == pytest.approx(mean, rel=1e-12)
    assert float(row["ci_low"]) == pytest.approx(mean - half, rel=1e-9, abs=1e-12)
    assert float(row["ci_high"]) == pytest.approx(mean + half, rel=1e-9, abs=1e-12)

    # time series: per condition and (every 7th) day, mean and CI of each outcome
    import pandas as pd

    ts = pd.read_csv(out / "timeseries.csv.gz")
    assert set(ts["condition"]) == set(range(8))
    assert sorted(set(ts["day"])) == [7, 14, 21, 28, 30]
    assert {"dialogue_ratio", "equity_gap"} <= set(ts["outcome"])
    assert (ts["ci_low"] <= ts["mean"] + 1e-12).all() | ts["mean"].isna().any()

    # report.md: the tables, every figure, a reading of each
    report = (out / "report.md").read_text()
    for fig in ("series.png", "bars.png", "heat.png", "contrast.png"):
        assert f"]({fig})" in report
    assert report.count("**Reading.**") == 1 + 1 + 4  # results table, baseline comparison, four figures
    assert "Student-t" in report and "## Compared with `quota`" in report

    # manifest: configs, seeds, versions, commit, and the SHA-256 of every other file
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seeds"]["values"] == seeds
    assert len(manifest["conditions"]) == 8 and "config" in manifest["conditions"][0]
    assert manifest["versions"]["numpy"] and manifest["python"] and manifest["git_commit"]
    assert manifest["experiment"]["file_text"] == SMALL.read_text()
    assert set(manifest["files"]) == names - {"manifest.json"}
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest


def test_verify_reproduces_ok(small):
    root, _ = small
    proc = experiments("verify", str(root / "results" / "small"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "OK" in proc.stdout


def test_verify_detects_a_changed_number(small, tmp_path):
    root, _ = small
    copy = tmp_path / "small"
    shutil.copytree(root / "results" / "small", copy)
    lines = (copy / "runs.csv").read_text().splitlines()
    header = lines[0].split(",")
    col = header.index("dialogue_ratio")
    cells = lines[3].split(",")
    cells[col] = repr(float(cells[col]) + 1e-9)
    lines[3] = ",".join(cells)
    (copy / "runs.csv").write_text("\n".join(lines) + "\n")

    # an edit the manifest does not know of fails the integrity check, and verify stops there (fail fast)
    proc = experiments("verify", str(copy))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "runs.csv: changed since the experiment wrote it" in proc.stdout
    assert "integrity check failed; nothing was re-run" in proc.stdout and "re-running" not in proc.stdout
    assert "OK" not in proc.stdout

    # a consistent forgery (manifest digest updated too) passes integrity; the re-run finds the number
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["files"]["runs.csv"] = hashlib.sha256((copy / "runs.csv").read_bytes()).hexdigest()
    (copy / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    proc = experiments("verify", str(copy))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "runs.csv row 3" in proc.stdout and "column dialogue_ratio" in proc.stdout
    assert "OK" not in proc.stdout


# --- launchers -----------------------------------------------------------------------------------


def test_serial_joblib_and_submitit_local_give_identical_runs(tmp_path):
    outputs = {}
    for launcher in ("serial", "local", "submitit_local"):
        root = tmp_path / launcher
        proc = run(TINY, root, f"launcher={launcher}")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        outputs[launcher] = (root / "results" / "tiny" / "runs.csv").read_bytes()
    # the submitit path really went through submitit (its job folders exist)
    assert list((tmp_path / "submitit_local" / "cache").rglob(".submitit"))
    assert outputs["serial"] == outputs["local"] == outputs["submitit_local"]
    assert len(outputs["serial"].decode().splitlines()) == 1 + 4


# --- failures and resume -------------------------------------------------------------------------


def test_failed_run_is_reported_and_resumed(tmp_path):
    bad_seed = replicate_seeds(11, 2)[1]
    previous = tmp_path / "results" / "tiny"
    previous.mkdir(parents=True)
    (previous / "marker.txt").write_text("the previous good results")

    proc = run(TINY, tmp_path, env={"GOVSIM_FAIL_SEEDS": str(bad_seed)})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "2 of 4 runs failed" in proc.stderr
    assert proc.stderr.count("InjectedFailure") == 2 and f"seed {bad_seed}" in proc.stderr
    # no summary that silently omits the failed runs; the previous results are untouched
    assert (previous / "marker.txt").read_text() == "the previous good results"
    assert sorted(p.name for p in previous.iterdir()) == ["marker.txt"]
    assert not [p for p in previous.parent.iterdir() if p.name.startswith(".tiny")]
    store = next(p for p in (tmp_path / "cache" / "tiny").iterdir() if p.is_dir())
    finished = {p: p.stat().st_mtime_ns for p in (store / "runs").glob("*.json") if ".error" not in p.name}
    assert len(finished) == 2 and len(list((store / "runs").glob("*.error.json"))) == 2

    # the cause is gone: only the two failed runs run again
    proc = run(TINY, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 already finished" in proc.stdout and "2 to run" in proc.stdout
    assert all(p.stat().st_mtime_ns == t for p, t in finished.items())
    assert not list((store / "runs").glob("*.error.json"))
    assert len(read_csv(previous / "runs.csv")) == 4 and not (previous / "marker.txt").exists()

    # and a third run launches nothing
    proc = run(TINY, tmp_path)
    assert proc.returncode == 0 and "4 already finished" in proc.stdout and "0 to run" in proc.stdout


def _disk_full(*args, **kwargs):
    raise OSError("disk full")


def test_a_failing_write_leaves_the_previous_results(small, tmp_path, monkeypatch):
    import experiments.runner as runner

    root, _ = small
    results = tmp_path / "results"
    shutil.copytree(root / "results" / "small", results / "small")
    before = {p.name: p.read_bytes() for p in (results / "small").iterdir()}

    import experiments.figures

    # raised where a figure is drawn (a drawing process gets the function by name: a module-level one)
    monkeypatch.setattr(experiments.figures, "render_figure", _disk_full)
    # reuse the fixture's cached runs even if sim/ was edited since (nothing is launched)
    fingerprint = next(p for p in (root / "cache" / "small").iterdir() if p.is_dir()).name
    monkeypatch.setattr(runner, "code_fingerprint", lambda: fingerprint)
    opts = runner.Options(results_root=results, cache_root=root / "cache", print_table=False, out=lambda s: None)
    with pytest.raises(OSError, match="disk full"):
        runner.run_experiment(make_plan(load_experiment(SMALL), str(SMALL)), opts)
    assert {p.name: p.read_bytes() for p in (results / "small").iterdir()} == before
    assert [p.name for p in results.iterdir()] == ["small"]


def test_interrupted_swap_is_undone(tmp_path):
    target = tmp_path / "exp"
    target.mkdir()
    (target / "a.txt").write_text("old")
    staging = tmp_path / ".exp.staging-1-x"
    staging.mkdir()
    (staging / "a.txt").write_text("new")
    swap_in(staging, target)
    assert (target / "a.txt").read_text() == "new" and sorted(p.name for p in tmp_path.iterdir()) == ["exp"]

    # a process died between its two renames (pid 0x7fffffff does not exist): put the old folder back
    (target / "manifest.json").write_text("{}")
    for kind, token in (("old", "aa11"), ("staging", "bb22")):
        marker = {
            "tool": "govsim-experiments",
            "kind": kind,
            "host": socket.gethostname(),
            "pid": 2147483647,
            "token": token,
        }
        (tmp_path / f".exp.{kind}-2147483647-{token}.govsim").write_text(json.dumps(marker))
    os.rename(target, tmp_path / ".exp.old-2147483647-aa11")
    (tmp_path / ".exp.staging-2147483647-bb22").mkdir()
    notes = recover(tmp_path, "exp")
    assert (target / "a.txt").read_text() == "new" and len(notes) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp"]


# --- bad experiment files ------------------------------------------------------------------------

BAD = {
    "unknown key": ("replicate: 3\n", "replicate=3; allowed: name | question | base"),
    "unknown regime": ("regimes: [quota, anarchy]\n", "regimes=anarchy; allowed: comprehensive | inclusion"),
    "empty sweep": ("sweep:\n  agency.staff_capacity: []\n", "sweep.agency.staff_capacity=[]; allowed: a non-empty"),
    "unknown sweep key": ("sweep:\n  agency.staf_capacity: [1]\n", "sweep.agency.staf_capacity=[1]; allowed:"),
    "unknown outcome": ("outcomes: [dialog_ratio]\n", "outcomes=dialog_ratio; allowed: a summary outcome such as"),
    "bad value": ("sweep:\n  agency.staff_capacity: [0.5, -1]\n", "agency.staff_capacity=-1.0; allowed: a number > 0"),
    "mistyped value": ("replicates: three\n", "replicates=three; allowed: a whole number"),
    "mistyped nested value": ("figures:\n  - {kind: bars, outcomes: 3}\n", "figures[0].outcomes=3; allowed: a list"),
    "heatmap axis": (
        "sweep:\n  agency.staff_capacity: [1, 2]\nfigures:\n  - {kind: heatmap, x: agency.staff_capacity, y: days}\n",
        "figures[0].y=days; allowed: a swept key",
    ),
    "record cadence": (
        "timeseries_every: 7\nrecord_every: 2\n",
        "record_every=2; allowed: a divisor of timeseries_every",
    ),
    "no record cadence": ("record_every: 0\n", "record_every=0; allowed: a whole number >= 1"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_experiment_is_rejected_before_anything_runs(case, tmp_path, capsys):
    base = "base: [population=classroom, days=30]\nregimes: [quota]\nreplicates: 2\noutcomes: [dialogue_ratio]\n"
    text, message = BAD[case]
    lines = [
        line
        for line in base.splitlines(keepends=True)
        if line.split(":")[0] not in {t.split(":")[0] for t in text.splitlines()}
    ]
    path = tmp_path / "bad.yaml"
    path.write_text("".join(lines) + text)
    status = cli_main(["run", str(path), "--results", str(tmp_path / "r"), "--cache", str(tmp_path / "c")])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and err.startswith(f"experiments: invalid experiment {path}: "), err
    assert message in err, err
    assert not (tmp_path / "r").exists() and not (tmp_path / "c").exists()


def test_bad_experiment_exit_status_through_the_cli(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("regimes: [quota]\nreplicates: 2\noutcomes: [dialogue_ratio]\nsweep: {days: []}\n")
    proc = experiments("run", str(path), "--results", str(tmp_path / "r"), "--cache", str(tmp_path / "c"))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        f"experiments: invalid experiment {path}: sweep.days=[]; allowed: a non-empty list of values"
    ]
    assert not (tmp_path / "r").exists() and not (tmp_path / "c").exists()


def test_shipped_experiments_are_valid():
    from experiments.spec import experiment_names

    names = experiment_names()
    assert {"policy_comparison", "audit_sweep", "capacity_sweep", "inclusion_sweep"} <= set(names)
    pc = make_plan(load_experiment("policy_comparison"), "policy_comparison")
    assert len(pc.conditions) == 7 and pc.experiment.replicates >= 20
    assert pc.conditions[0].config.population.n_citizens == 10_000


# --- plan and statistics -------------------------------------------------------------------------


def test_plan_uses_common_seeds_and_resumes_only_what_is_missing(tmp_path):
    plan = make_plan(load_experiment(SMALL), str(SMALL))
    seeds = [int(c.generate_state(1)[0]) for c in np.random.SeedSequence(7).spawn(2)]
    assert plan.seeds == seeds
    for cond in plan.conditions:
        assert [r.seed for r in plan.runs if r.condition is cond] == seeds
    assert len({r.run_id for r in plan.runs}) == 16
    # the run id is the hash of the resolved config: the seed changes it, nothing else random does
    again = make_plan(load_experiment(SMALL), str(SMALL))
    assert [r.run_id for r in again.runs] == [r.run_id for r in plan.runs]
    assert plan.runs[0].run_id == aggregate_run_id(plan.runs[0])

    # only the pending runs are launched, in chunks that carry each run's resolved config and id
    from experiments.launch import chunk_sizes, write_chunks
    from experiments.task import chunk_file

    pending = [r for r in plan.runs if r.condition.regime == "integration" and r.seed == seeds[1]]
    joblib = {"_target_": "hydra_plugins.hydra_joblib_launcher.JoblibLauncher", "n_jobs": 2}
    assert chunk_sizes(len(pending), joblib) == [1] * len(pending)
    # guided: each job its share of what is left (at most 8), so the last jobs are single runs
    assert chunk_sizes(140, joblib) == [8] * 14 + [7, 6, 4, 3, 2, 2, 1, 1, 1, 1]
    assert chunk_sizes(40, {"_target_": "x.BasicLauncher"}) == [8, 8, 8, 8, 4, 2, 1, 1]
    assert chunk_sizes(40, {}, chunk=3) == [3] * 13 + [1]
    for workers in (1, 2, 8):
        launcher = {"_target_": "hydra_plugins.hydra_joblib_launcher.JoblibLauncher", "n_jobs": workers}
        for n in range(0, 300, 7):  # every run in one job, jobs never growing, none empty or over the cap
            sizes = chunk_sizes(n, launcher)
            assert sum(sizes) == n and all(1 <= b <= a <= 8 for a, b in zip([8, *sizes], sizes, strict=False))
    assert write_chunks(pending, tmp_path, [3, len(pending) - 3], 1) == 2
    entries = [e for k in range(2) for e in json.loads(chunk_file(tmp_path, k).read_text())["runs"]]
    assert [e["run_id"] for e in entries] == [r.run_id for r in pending]
    assert entries[0]["config"] == dataclasses.asdict(dataclasses.replace(pending[0].condition.config, seed=seeds[1]))


def aggregate_run_id(run) -> str:
    from experiments.cache import run_id

    return run_id(dataclasses.replace(run.condition.config, seed=run.seed))


def test_confidence_interval_is_student_t():
    x = np.array([[1.0, np.nan], [2.0, 5.0], [4.0, np.nan]])
    d = aggregate.describe(x)
    assert d["n"].tolist() == [3, 1]
    half = stats.t.ppf(0.975, 2) * np.std([1, 2, 4], ddof=1) / math.sqrt(3)
    assert d["ci_high"][0] == pytest.approx(7 / 3 + half) and d["ci_low"][0] == pytest.approx(7 / 3 - half)
    assert d["mean"][1] == 5.0 and math.isnan(d["ci_low"][1])


def test_overrides_on_the_command_line_are_validated_too(tmp_path, capsys):
    status = cli_main(
        ["run", str(TINY), "replicates=1", "--results", str(tmp_path / "r"), "--cache", str(tmp_path / "c")]
    )
    assert status == 2
    assert "replicates=1; allowed: a whole number >= 2" in capsys.readouterr().err
    status = cli_main(["run", str(TINY), "agency.staff_capacity=-2", "--results", str(tmp_path / "r")])
    assert status == 2
    assert "agency.staff_capacity=-2.0; allowed: a number > 0" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_experiment_error_is_one_line():
    with pytest.raises(ExperimentError) as info:
        load_experiment("no_such_experiment")
    assert "\n" not in str(info.value) and "policy_comparison" in str(info.value)


def test_a_recording_cadence_has_run_ids_of_its_own_and_daily_runs_keep_theirs():
    from experiments.cache import run_id

    exp = load_experiment(TINY)
    daily = make_plan(exp, str(TINY))
    weekly = make_plan(dataclasses.replace(exp, timeseries_every=7, record_every=7), str(TINY))
    ids = [r.run_id for r in daily.runs]
    # a daily run's id is its config's alone (the ids of every committed results folder stand)
    assert ids == [run_id(dataclasses.replace(r.condition.config, seed=r.seed)) for r in daily.runs]
    assert not set(ids) & {r.run_id for r in weekly.runs}  # a weekly run never stands in for a daily one
