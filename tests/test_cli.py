"""`python -m sim` end to end in a subprocess, sweeps, and one-line errors on bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO


def sim(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    flags = [a for a in args if a.startswith("-")]
    overrides = [a for a in args if not a.startswith("-")]
    dirs = [f"hydra.run.dir={tmp_path}/run", f"hydra.sweep.dir={tmp_path}/sweep"]
    return subprocess.run(
        [sys.executable, "-m", "sim", *flags, *dirs, *overrides],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_single_run_writes_timeseries_summary_and_figure(tmp_path):
    proc = sim(tmp_path, "population=classroom", "days=90", "seed=3")
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "run"
    ts = pd.read_csv(out / "timeseries.csv")
    assert len(ts) == 90 and {"day", "ghost_share", "needs_met_excluded"} <= set(ts.columns)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 3
    assert summary["config"]["policy"]["name"] == "quota"
    assert summary["provenance"]["versions"]["mesa"].startswith("3.")
    assert "dialogue_ratio" in summary["outcomes"]
    assert (out / "overview.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "needs met, excluded" in proc.stdout


def test_multirun_gives_each_job_its_own_folder(tmp_path):
    proc = sim(tmp_path, "-m", "population=classroom", "days=30", "policy=laissez_faire,training", "seed=0,1")
    assert proc.returncode == 0, proc.stderr
    runs = sorted(p.parent for p in (tmp_path / "sweep").glob("*/summary.json"))
    assert len(runs) == 4
    seeds = {
        (
            json.loads((r / "summary.json").read_text())["config"]["policy"]["name"],
            json.loads((r / "summary.json").read_text())["seed"],
        )
        for r in runs
    }
    assert seeds == {("laissez_faire", 0), ("laissez_faire", 1), ("training", 0), ("training", 1)}


BAD_INPUT = [
    ("policy=utopia", "policy='utopia'"),
    ("population=megacity", "population='megacity'"),
    ("population.n_citizens=0", "population.n_citizens=0"),
    ("population.n_citizens=-5", "population.n_citizens=-5"),
    ("population.internet_penetration=1.5", "population.internet_penetration=1.5"),
    ("policy.mandate.share=-0.1", "policy.mandate.share=-0.1"),
    ("days=0", "days=0"),
    ("policy.audit.quota=-1", "policy.audit.quota=-1"),
    ("policy.audit.metric=likes", "policy.audit.metric='likes'"),
    ("citizen.no_such_key=1", "no_such_key"),
    ("population.n_citizens=many", "n_citizens"),
]


@pytest.mark.parametrize(("override", "named"), BAD_INPUT)
def test_bad_input_fails_with_one_line_and_writes_nothing(tmp_path, override, named):
    proc = sim(tmp_path, override)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert named in lines[0] and "allowed" in lines[0]
    assert not (tmp_path / "run").exists()


def test_bad_value_inside_a_sweep_is_caught_before_any_job(tmp_path):
    proc = sim(tmp_path, "-m", "population=classroom", "days=10", "seed=0,1", "policy.mandate.share=0.5,2")
    assert proc.returncode == 2
    assert "policy.mandate.share=2" in proc.stderr
    assert not (tmp_path / "sweep").exists()


def test_help_explains_the_program_and_lists_regimes_and_populations():
    proc = subprocess.run([sys.executable, "-m", "sim", "--help"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    for group in ("policy", "population"):
        for path in (REPO / "configs" / group).glob("*.yaml"):
            assert f"\n  {path.stem} " in text, path.stem  # one line each, with its description
    assert "quota (default)" in text and "city (default)" in text
    assert text.count("\n  python -m sim ") == 3  # three examples
    assert "docs/ODD.md" in text and "python -m sim.parameters" in text
    # no config dump, no groups or schema options that the command line then rejects
    assert "_schema" not in text and "experiment:" not in text and "motivation_alpha" not in text
    assert len(text.splitlines()) < 60
    # the fast path prints exactly what Hydra renders from the same template (given an override, Hydra does)
    hydra = subprocess.run([sys.executable, "-m", "sim", "--help", "seed=1"], cwd=REPO, capture_output=True, text=True)
    assert hydra.returncode == 0 and hydra.stdout == text


def test_no_progress_bar_when_output_is_not_a_terminal(tmp_path):
    proc = sim(tmp_path, "population=classroom", "days=20")
    assert proc.returncode == 0, proc.stderr
    assert "day/s" not in proc.stdout + proc.stderr and "%|" not in proc.stderr


def test_the_progress_bar_changes_no_number():
    from sim.api import load_config
    from sim.app import simulate

    cfg = load_config(["population=classroom", "days=60", "seed=2"])
    quiet, shown = simulate(cfg), simulate(cfg, progress=True)
    pd.testing.assert_frame_equal(quiet.timeseries, shown.timeseries)
