"""Fault injection and foreign inputs on the experiments layer.

A hostile or unlucky user: an edited or truncated run cache, a population too big for
memory, a foreign manifest with OmegaConf interpolations, folders that are not ours next
to the results, full and read-only disks, broken config files, options in odd places,
relative paths from another directory, quick looks next to the canonical results.
Every test compares runs with runs (never with hard-coded model numbers), on the tiny
experiment (a 500-citizen town for 30 days, 2 x 2 runs).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, experiments

from experiments.cli import main as cli_main

DATA = Path(__file__).resolve().parent / "data" / "experiments"
TINY = DATA / "tiny.yaml"


def run(root: Path, *extra: str, exp: Path = TINY, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return experiments(
        "run", str(exp), *extra, "--results", str(root / "results"), "--cache", str(root / "cache"), env=env
    )


def store_of(root: Path, name: str = "tiny") -> Path:
    return next(p for p in (root / "cache" / name).iterdir() if p.is_dir())


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny experiment run once (serial launcher): a results folder and a warm cache."""
    root = tmp_path_factory.mktemp("tiny")
    old = os.umask(0o022)
    try:
        proc = run(root, "launcher=serial")
    finally:
        os.umask(old)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root, proc


def clone(src: Path, dst: Path) -> Path:
    shutil.copytree(src / "cache", dst / "cache")
    shutil.copytree(src / "results", dst / "results")
    return dst


# --- 1. the run cache trusts its files -------------------------------------------------------------


def _edit_summary(path: Path) -> None:
    record = json.loads(path.read_text())
    record["summary"]["dialogue_ratio"] = 123.0
    path.write_text(json.dumps(record, indent=1) + "\n")


@pytest.mark.parametrize(
    "damage",
    ["edited summary", "truncated npz", "emptied npz"],
)
def test_a_damaged_cache_entry_is_reported_discarded_and_rerun(tiny, tmp_path, damage):
    src, _ = tiny
    root = clone(src, tmp_path)
    runs = store_of(root) / "runs"
    victim = sorted(p for p in runs.glob("*.json") if ".error" not in p.name)[0]
    npz = victim.with_suffix(".npz")
    if damage == "edited summary":
        _edit_summary(victim)
        bad = victim
    elif damage == "truncated npz":
        npz.write_bytes(npz.read_bytes()[: npz.stat().st_size // 2])
        bad = victim
    else:
        npz.write_bytes(b"")
        bad = victim
    shutil.rmtree(root / "results")
    proc = run(root, "launcher=serial")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if "discarded cache entry" in line]
    assert len(lines) == 1 and str(bad) in lines[0], proc.stderr
    assert "checksum" in lines[0]
    assert "Traceback" not in proc.stderr and "BadZipFile" not in proc.stderr
    assert "3 already finished" in proc.stdout and "1 to run" in proc.stdout
    # the re-run result is the original one, bit for bit (the edited 123.0 was never published)
    assert (root / "results" / "tiny" / "runs.csv").read_bytes() == (src / "results" / "tiny" / "runs.csv").read_bytes()


# --- 2. no upper bound on the population -----------------------------------------------------------


def test_a_population_too_big_for_memory_is_refused_before_anything_runs(tmp_path, capsys):
    status = cli_main(
        [
            "run",
            str(TINY),
            "population.n_citizens=1000000000",
            "--results",
            str(tmp_path / "r"),
            "--cache",
            str(tmp_path / "c"),
        ]
    )
    err = one_line(capsys.readouterr().err)
    assert status == 2
    assert "population.n_citizens=1000000000 needs about" in err and "GB" in err and "allowed: at most" in err
    assert not (tmp_path / "r").exists() and not (tmp_path / "c").exists()


def test_memory_estimate_grows_with_the_population_and_respects_a_limit():
    from sim.config import ConfigError, SimConfig
    from sim.memory import check_memory, estimate_bytes

    small, big = SimConfig(), SimConfig()
    big.population.n_citizens = 1_000_000
    assert estimate_bytes(big) > estimate_bytes(small) > 0
    check_memory(small, limit=estimate_bytes(small))
    with pytest.raises(ConfigError, match=r"population\.n_citizens=1000000 needs about"):
        check_memory(big, limit=estimate_bytes(small))


def test_slurm_memory_request_is_the_limit_on_a_cluster(tmp_path, capsys):
    status = cli_main(
        [
            "run",
            str(TINY),
            "population.n_citizens=20000000",
            "launcher=slurm",
            "hydra.launcher.mem_gb=1",
            "--results",
            str(tmp_path / "r"),
            "--cache",
            str(tmp_path / "c"),
        ]
    )
    err = one_line(capsys.readouterr().err)
    assert status == 2 and "hydra.launcher.mem_gb=1" in err


# --- 3. verify of a foreign folder resolves OmegaConf interpolations -------------------------------

SECRET = "s3cr3t-value-of-the-environment"


@pytest.mark.parametrize("where", ["question", "figure title", "base override"])
def test_verify_never_resolves_interpolations_from_a_manifest(tiny, tmp_path, where):
    src, _ = tiny
    folder = tmp_path / "tiny"
    shutil.copytree(src / "results" / "tiny", folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    resolved = manifest["experiment"]["resolved"]
    if where == "question":
        resolved["question"] = "${oc.env:GOVSIM_TEST_SECRET}"
    elif where == "figure title":
        resolved["figures"][0]["title"] = "leak ${oc.env:GOVSIM_TEST_SECRET}"
    else:
        resolved["base"] = [*resolved["base"], "agency.staff_capacity=${oc.env:GOVSIM_TEST_SECRET}"]
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    proc = experiments("verify", str(folder), "launcher=serial", env={"GOVSIM_TEST_SECRET": SECRET})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert SECRET not in proc.stdout + proc.stderr
    line = one_line(proc.stderr)
    assert "interpolations such as ${...} are not resolved" in line and "re-running" not in proc.stdout


def test_an_experiment_file_with_an_interpolation_is_refused(tmp_path, capsys):
    path = tmp_path / "leak.yaml"
    path.write_text(TINY.read_text().replace("question: ", "question: ${oc.env:HOME} "))
    assert cli_main(["plan", str(path)]) == 2
    err = one_line(capsys.readouterr().err)
    assert "question=" in err and "not resolved" in err and os.environ.get("HOME", "/root") not in err


# --- 4. recovery touches only folders this tool created --------------------------------------------


def _marker(folder: Path, kind: str, token: str, host: str | None = None, pid: int = 2147483647) -> None:
    record = {
        "tool": "govsim-experiments",
        "kind": kind,
        "host": host or socket.gethostname(),
        "pid": pid,
        "token": token,
    }
    folder.with_name(folder.name + ".govsim").write_text(json.dumps(record))


def test_recovery_leaves_folders_it_did_not_create_alone(tiny, tmp_path):
    src, _ = tiny
    shutil.copytree(src / "results" / "tiny", tmp_path / "tiny")
    foreign = {
        ".tiny.old-1-nomarker": None,  # no marker at all
        ".tiny.staging-1-nomarker": None,
        ".tiny.old-2147483647-cc33": ("old", "cc33", "another-host.example", 2147483647),  # another host's
        ".tiny.staging-2147483647-dd44": ("staging", "dd44", "another-host.example", 2147483647),
        ".tiny.staging-1-ee55": ("staging", "ee55", None, 1),  # pid 1 is alive
        ".tiny.staging-2147483647-ff66": ("staging", "wrong", None, 2147483647),  # token does not match its name
    }
    for name, mark in foreign.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "keep.txt").write_text("not yours")
        if mark:
            _marker(tmp_path / name, mark[0], mark[1], mark[2], mark[3])
    before = sorted(p.name for p in tmp_path.iterdir())
    proc = experiments("verify", str(tmp_path / "tiny"), "launcher=serial")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    for name in foreign:
        assert (tmp_path / name / "keep.txt").read_text() == "not yours"

    # the tool's own leftovers (marker, this host, a dead pid) are recovered, one line each
    (tmp_path / ".tiny.staging-2147483647-ab12").mkdir()
    _marker(tmp_path / ".tiny.staging-2147483647-ab12", "staging", "ab12")
    proc = experiments("verify", str(tmp_path / "tiny"), "launcher=serial")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("removed an unfinished staging folder .tiny.staging-2147483647-ab12") == 1
    assert not (tmp_path / ".tiny.staging-2147483647-ab12").exists()


def test_an_old_folder_without_a_manifest_is_not_restored(tmp_path):
    from experiments.publish import recover

    old = tmp_path / ".exp.old-2147483647-ab12"
    old.mkdir()
    (old / "data.txt").write_text("someone's")
    _marker(old, "old", "ab12")
    assert recover(tmp_path, "exp") == []
    assert (old / "data.txt").read_text() == "someone's" and not (tmp_path / "exp").exists()


# --- 5. disk and permission faults -----------------------------------------------------------------


@contextlib.contextmanager
def tmpfs(path: Path, options: str):
    path.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({proc.stderr.decode().strip() or 'mount failed'}; needs root)")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


@pytest.mark.parametrize("which", ["results", "cache"])
def test_a_read_only_folder_is_refused_before_any_run(tmp_path, which):
    with tmpfs(tmp_path / "ro", "ro,size=1m") as ro:
        other = "cache" if which == "results" else "results"
        proc = experiments(
            "run", str(TINY), f"--{which}", str(ro / which), f"--{other}", str(tmp_path / other), "launcher=serial"
        )
        assert proc.returncode == 1, proc.stdout + proc.stderr
        line = one_line(proc.stderr)
        what = "results root" if which == "results" else "run cache"
        assert line.startswith(f"experiments: cannot write the {what} {ro / which}") and "[Errno 30]" in line
        assert "runs done" not in proc.stdout  # nothing ran
        assert not list((tmp_path / other).rglob("*.npz"))


def test_too_little_free_space_is_refused_before_any_run(tmp_path):
    with tmpfs(tmp_path / "small", "size=64k") as small:
        proc = experiments(
            "run", str(TINY), "--cache", str(small / "cache"), "--results", str(tmp_path / "r"), "launcher=serial"
        )
        assert proc.returncode == 1, proc.stdout + proc.stderr
        line = one_line(proc.stderr)
        assert f"not enough free space for the run cache {small / 'cache'}" in line and "the plan needs about" in line


def test_a_full_disk_while_publishing_is_one_line_and_keeps_the_results(tiny, tmp_path, monkeypatch, capsys):
    import experiments.runner as runner

    src, _ = tiny
    root = clone(src, tmp_path)
    before = {p.name: p.read_bytes() for p in (root / "results" / "tiny").iterdir()}
    fingerprint = store_of(root).name
    monkeypatch.setattr(runner, "code_fingerprint", lambda: fingerprint)

    def full(path, data):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(runner, "write_atomic", full)
    status = cli_main(
        ["run", str(TINY), "--results", str(root / "results"), "--cache", str(root / "cache"), "launcher=serial"]
    )
    err = capsys.readouterr().err
    assert status == 1
    line = [x for x in err.splitlines() if x.startswith("experiments:")]
    assert len(line) == 1 and "[Errno 28] No space left on device" in line[0] and "runs.csv" in line[0]
    assert "Traceback" not in err
    assert {p.name: p.read_bytes() for p in (root / "results" / "tiny").iterdir()} == before
    assert sorted(p.name for p in (root / "results").iterdir()) == ["tiny"]


def test_a_cache_that_cannot_be_written_is_named_as_the_reason_runs_did_not_report(tmp_path):
    from experiments.cache import RunStore
    from experiments.plan import make_plan
    from experiments.runner import _failures
    from experiments.spec import load_experiment

    plan = make_plan(load_experiment(TINY), str(TINY))
    with tmpfs(tmp_path / "ro", "ro,size=1m") as ro:
        failed = _failures(plan, RunStore(ro / "tiny" / "code"))
    assert len(failed) == 4
    assert all("cannot write the run cache" in why and "[Errno 30]" in why for _, why in failed)


# --- 6. malformed and empty config files -----------------------------------------------------------


@pytest.fixture
def configs(tmp_path, monkeypatch):
    """A copy of configs/ the experiments read instead of the shared one."""
    import experiments.spec as spec
    import sim.api

    copy = tmp_path / "configs"
    shutil.copytree(REPO / "configs", copy)
    monkeypatch.setattr(sim.api, "CONFIG_DIR", copy)
    monkeypatch.setattr(spec, "CONFIG_DIR", copy)
    return copy


@pytest.mark.parametrize(
    "case",
    ["malformed policy", "empty policy", "empty population"],
)
@pytest.mark.parametrize("command", ["run", "plan"])
def test_a_broken_config_file_is_refused_in_one_line(configs, tmp_path, capsys, case, command):
    exp = tmp_path / "exp.yaml"
    if case == "malformed policy":
        (configs / "policy" / "broken.yaml").write_text("name: broken\naudit:\n  metric: posts\n   quota: 6\n")
        exp.write_text(TINY.read_text().replace("regimes: [quota, training]", "regimes: [quota, broken]"))
        expected = "invalid config file configs/policy/broken.yaml: not valid YAML ("
    elif case == "empty policy":
        (configs / "policy" / "blank.yaml").write_text("# nothing here yet\n")
        exp.write_text(TINY.read_text().replace("regimes: [quota, training]", "regimes: [quota, blank]"))
        expected = "invalid config file configs/policy/blank.yaml: empty; allowed: a mapping of policy settings"
    else:
        (configs / "population" / "hamlet.yaml").write_text("")
        exp.write_text(TINY.read_text().replace("population=classroom", "population=hamlet"))
        expected = "invalid config file configs/population/hamlet.yaml: empty; allowed: a mapping of population"
    args = [command, str(exp)] + (
        ["--results", str(tmp_path / "r"), "--cache", str(tmp_path / "c")] if command == "run" else []
    )
    status = cli_main(args)
    err = one_line(capsys.readouterr().err)
    assert status == 2 and expected in err, err
    assert not (tmp_path / "r").exists() and not (tmp_path / "c").exists()


# --- 7. options anywhere; 8. relative paths from the user's directory ------------------------------


def test_options_may_come_before_the_overrides():
    from experiments.cli import parse_args

    args = parse_args(["run", "tiny", "--results", "r", "replicates=3", "--cache", "c", "days=20", "--fresh"])
    assert args.overrides == ["replicates=3", "days=20"] and args.fresh
    assert args.results == Path.cwd() / "r" and args.cache == Path.cwd() / "c"
    args = parse_args(["verify", "results/x", "--sample", "3", "launcher=serial", "--seed", "4"])
    assert args.overrides == ["launcher=serial"] and args.sample == 3 and args.seed == 4
    with pytest.raises(SystemExit):
        parse_args(["run", "tiny", "--results", "r", "--bogus"])


def test_plan_with_options_first_keeps_the_overrides(tmp_path):
    proc = experiments(
        "plan", str(TINY), "--results", str(tmp_path / "r"), "--cache", str(tmp_path / "c"), "days=20", "replicates=3"
    )
    assert proc.returncode == 0, proc.stderr
    assert "x 3 replicates" in proc.stdout and "days=20" in proc.stdout


def test_relative_cache_and_results_are_taken_from_the_users_directory(tiny, tmp_path):
    src, _ = tiny
    elsewhere = tmp_path / "work"
    elsewhere.mkdir()
    proc = experiments(
        "run", str(TINY), "launcher=serial", "--cache", "my-cache", "--results", "my-results", cwd=elsewhere
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "did not report" not in proc.stderr
    assert len(list((elsewhere / "my-cache" / "tiny").rglob("runs/*.npz"))) == 4
    assert not (REPO / "my-cache").exists() and not (REPO / "my-results").exists()
    runs = (elsewhere / "my-results" / "tiny" / "runs.csv").read_bytes()
    assert runs == (src / "results" / "tiny" / "runs.csv").read_bytes()


# --- 9. quick looks never overwrite the canonical results ------------------------------------------


def test_a_quick_look_publishes_beside_the_committed_results(tiny, tmp_path):
    src, _ = tiny
    root = clone(src, tmp_path)
    canonical = {p.name: p.read_bytes() for p in (root / "results" / "tiny").iterdir()}
    proc = run(root, "days=20", "launcher=serial")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert {p.name: p.read_bytes() for p in (root / "results" / "tiny").iterdir()} == canonical
    looks = [p for p in (root / "results").iterdir() if p.name.startswith("tiny@")]
    assert len(looks) == 1 and (looks[0] / "manifest.json").is_file()
    assert f"quick look (days=20): results go to {looks[0]}/" in proc.stdout
    # the same overrides again go to the same folder; the launcher alone is no quick look
    proc = run(root, "days=20", "launcher=serial")
    assert [p.name for p in (root / "results").iterdir() if p.name.startswith("tiny@")] == [looks[0].name]
    proc = run(root, "launcher=local")
    assert proc.returncode == 0 and "quick look" not in proc.stdout
    assert (root / "results" / "tiny" / "runs.csv").read_bytes() == canonical["runs.csv"]


# --- 11. the Ray launcher config --------------------------------------------------------------------

FAKE_RAY = """
from dataclasses import dataclass, field
from typing import Any, Dict
from hydra.core.config_store import ConfigStore

@dataclass
class RayConf:
    init: Dict[str, Any] = field(default_factory=lambda: {"address": None})
    remote: Dict[str, Any] = field(default_factory=dict)

@dataclass
class RayLauncherConf:
    _target_: str = "hydra_plugins.hydra_ray_launcher.ray_launcher.RayLauncher"
    ray: RayConf = field(default_factory=RayConf)

ConfigStore.instance().store(group="hydra/launcher", name="ray", node=RayLauncherConf, provider="ray_launcher")
"""


def test_ray_cluster_config_leaves_object_store_memory_out_and_precheck_says_what_failed(tmp_path):
    """hydra-ray-launcher itself conflicts with the project's pins: a stand-in registers its config schema."""
    plugin = tmp_path / "plugins" / "hydra_plugins" / "hydra_ray_launcher"
    plugin.mkdir(parents=True)
    (plugin / "__init__.py").write_text("")
    (plugin / "ray_launcher.py").write_text(FAKE_RAY)
    code = """
import json, sys
from experiments.launch import preflight
from experiments.spec import ExperimentError
cfg = preflight("ray_cluster", [])
init = dict(cfg["ray"]["init"])
init.setdefault("object_store_memory", 78643200)  # what hydra-ray-launcher 1.2.2 does before ray.init
try:
    preflight("ray_cluster", ["hydra.launcher.ray.remote.num_cpus=[oops"])
    bad = ""
except ExperimentError as err:
    bad = str(err)
print(json.dumps({"init": init, "bad": bad}))
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "plugins"), str(REPO)])}
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["init"] == {"address": "auto", "object_store_memory": None}
    assert "num_cpus=[oops" in out["bad"] and "pip install" not in out["bad"] and "\n" not in out["bad"]


def test_ray_cluster_without_the_plugin_says_it_is_not_installed(capsys, tmp_path):
    import importlib.util

    if importlib.util.find_spec("hydra_plugins.hydra_ray_launcher") is not None:
        pytest.skip("hydra-ray-launcher is installed here")
    assert cli_main(["run", str(TINY), "launcher=ray_cluster", "--results", str(tmp_path / "r")]) == 2
    err = one_line(capsys.readouterr().err)
    assert "hydra-ray-launcher plugin is not installed" in err and "pip install hydra-ray-launcher" in err


def test_ray_packages_are_recorded_when_ray_runs_the_jobs():
    from experiments.runner import versions

    assert {"ray", "hydra-ray-launcher", "cloudpickle"} <= set(versions("ray_cluster"))
    assert "ray" not in versions("local")


# --- 12. verify: a fast, honest spot check ---------------------------------------------------------


def _forge(folder: Path, name: str, row: int, column: str) -> None:
    """Change one number and update the manifest's SHA-256 too (passes the integrity check)."""
    rows = list(csv.reader(io.StringIO((folder / name).read_text())))
    col = rows[0].index(column)
    rows[row][col] = repr(float(rows[row][col]) + 0.5)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    (folder / name).write_text(buf.getvalue())
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"][name] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def test_verify_sample_reruns_k_runs_and_recomputes_the_rest(tiny, tmp_path):
    src, _ = tiny
    folder = src / "results" / "tiny"
    proc = experiments("verify", str(folder), "--sample", "2", "--seed", "5", "launcher=serial")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "sample: 2 of 4 runs, seed 5" in proc.stdout and "2 sampled runs reproduce exactly" in proc.stdout
    for name in ("summary.csv", "report.md", "bars.png"):
        assert name in proc.stdout.splitlines()[-1]
    rows = proc.stdout.split("rows ", 1)[1].split(" of runs.csv")[0]
    again = experiments("verify", str(folder), "--sample", "2", "--seed", "5", "launcher=serial")
    assert rows in again.stdout  # the seed repeats the sample
    clock = experiments("verify", str(folder), "--sample", "1", "launcher=serial")
    assert clock.returncode == 0 and "(repeat with --sample 1 --seed " in clock.stdout

    # a forged summary (manifest updated) is caught by the recomputation, without re-running everything
    copy = tmp_path / "tiny"
    shutil.copytree(folder, copy)
    _forge(copy, "summary.csv", 2, "mean")
    proc = experiments("verify", str(copy), "--sample", "1", "--seed", "1", "launcher=serial")
    assert proc.returncode == 1 and "summary.csv row 2" in proc.stdout, proc.stdout + proc.stderr


def test_verify_sample_compares_the_sampled_rows_exactly(tiny, tmp_path):
    src, _ = tiny
    copy = tmp_path / "tiny"
    shutil.copytree(src / "results" / "tiny", copy)
    for row in range(1, 5):
        _forge(copy, "runs.csv", row, "response_rate")
    proc = experiments("verify", str(copy), "--sample", "1", "--seed", "2", "launcher=serial")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "runs.csv sampled row 1" in proc.stdout and "column response_rate" in proc.stdout


# --- 13. small items -------------------------------------------------------------------------------


def test_failure_message_names_the_results_folder_given(tmp_path):
    from experiments.plan import replicate_seeds

    bad = replicate_seeds(11, 2)[0]
    proc = experiments(
        "run",
        str(TINY),
        "launcher=serial",
        "--results",
        str(tmp_path / "elsewhere"),
        "--cache",
        str(tmp_path / "c"),
        env={"GOVSIM_FAIL_SEEDS": str(bad)},
    )
    assert proc.returncode == 1
    assert f"{tmp_path / 'elsewhere' / 'tiny'}/ was not written" in proc.stderr
    assert "results/tiny/ was not written" not in proc.stderr


def test_cache_and_results_files_follow_the_umask(tiny):
    src, _ = tiny  # written under umask 022
    files = [p for p in (store_of(src) / "runs").iterdir()] + list((src / "results" / "tiny").iterdir())
    assert files and {oct(p.stat().st_mode & 0o777) for p in files} == {"0o644"}


def test_few_replicates_warn_and_shares_are_clipped_in_display(tiny):
    import pandas as pd

    from experiments.report import ci_text

    _, proc = tiny
    assert "warning: replicates=2: 95 % confidence intervals from fewer than 5 runs" in proc.stderr
    row = pd.Series({"outcome": "response_rate", "mean": 0.5, "ci_low": -2.677, "ci_high": 3.677})
    assert ci_text(row) == "0.500 [0.000, 1.000]"
    row = pd.Series({"outcome": "dialogue_ratio", "mean": 0.5, "ci_low": -2.677, "ci_high": 3.677})
    assert ci_text(row) == "0.500 [-2.677, 3.677]"


def test_a_lever_that_cannot_act_within_the_horizon_warns(tmp_path):
    from experiments.plan import make_plan
    from experiments.report import warnings_for
    from experiments.spec import load_experiment

    plan = make_plan(load_experiment(TINY, ["regimes=[quota,integration]"]), str(TINY))
    hub = [w for w in warnings_for(plan) if "one-stop hub" in w]
    assert len(hub) == 1 and "starts on day 180" in hub[0] and "days=30" in hub[0] and "\n" not in hub[0]
    plan = make_plan(
        load_experiment(TINY, ["regimes=[quota,integration]", 'base=["population=classroom","days=200"]']), str(TINY)
    )
    assert not [w for w in warnings_for(plan) if "one-stop hub" in w]


# --- 10. (without SLURM) detach, status and collect on this machine; tests/test_slurm.py does the cluster ---


def test_detach_status_and_collect_on_this_machine(tiny, tmp_path):
    import time

    src, _ = tiny
    proc = run(tmp_path, "launcher=serial", "--detach")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "submitted 4 runs and detached" in proc.stdout
    deadline = time.monotonic() + 300  # an upper bound to give up, not a timed assertion
    while True:
        status = experiments("status", str(TINY), "launcher=serial", "--cache", str(tmp_path / "cache"))
        assert status.returncode == 0, status.stderr
        if "4 runs: 4 done" in status.stdout and "0 queued or running" in status.stdout:
            break
        assert time.monotonic() < deadline, status.stdout
        time.sleep(0.5)
    collected = experiments(
        "collect",
        str(TINY),
        "launcher=serial",
        "--results",
        str(tmp_path / "results"),
        "--cache",
        str(tmp_path / "cache"),
    )
    assert collected.returncode == 0, collected.stdout + collected.stderr
    assert (tmp_path / "results" / "tiny" / "runs.csv").read_bytes() == (
        src / "results" / "tiny" / "runs.csv"
    ).read_bytes()
