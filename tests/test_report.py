"""report.md answers its question; one number format per outcome; republish from runs.csv (no runs)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from experiments.labels import meaning, number_format, regime_meaning
from experiments.report import ci_text, md_table
from experiments.runner import load_manifest
from experiments.sensitivity import inert
from experiments.spec import ExperimentError
from experiments.verify import from_tables, recorded_plan, republish

REPO = Path(__file__).resolve().parent.parent
PUBLISHED = sorted(p for p in (REPO / "results").glob("*/report.md") if p.parent.name != "sensitivity")


def test_number_formats_are_fixed_per_outcome_and_never_exponential():
    assert number_format("answer_rate", [0.5])(8.55e-05) == "0.000"  # a share: its unit's three decimals
    assert number_format("posts_filler", [1234.5])(1234.5) == "1,234"  # a count: an integer
    small = number_format("leader_reach", [8.55e-05, 2e-4])
    assert small.unit == "per 10,000" and small(2e-4) == "2.00"  # a small rate: scaled, with its unit
    assert number_format("dialogue_ratio", [2.46])(-0.0001, signed=True) == "0.000"  # no "-0.000"
    row = pd.Series({"outcome": "audit_pass_rate", "mean": float("nan"), "ci_low": float("nan"), "ci_high": 0.0})
    assert ci_text(row) == "–"


def test_glossary_sources_and_the_markdown_builder():
    assert "answered at all" in meaning("answer_rate") and meaning("no_such_outcome") == ""
    assert regime_meaning("quota").startswith("Status quo") and regime_meaning("no_such_regime") == ""
    assert md_table(["a", "b"], [["x", "1"]], "lr") == ["| a | b |", "| --- | ---: |", "| x | 1 |"]


def test_inert_parameters_are_below_the_floor_on_every_outcome():
    table = pd.DataFrame(
        {"parameter": ["a", "b", "a", "b"], "outcome": ["x", "x", "y", "y"], "above_noise": [False, True, False, False]}
    )
    assert inert(table) == ["a"]


@pytest.mark.parametrize("path", PUBLISHED, ids=lambda p: p.parent.name)
def test_published_reports_answer_first_with_one_format(path):
    text = path.read_text()
    head = text.split("## Glossary")[0]
    assert "**Answer**" in head, "the answer comes first"
    assert "[" in head or "## Morris screening" in text, "with its 95 % intervals (a screening states μ* and floors)"
    assert "## Glossary" in text and "n/a" not in text
    assert not re.search(r"\d\.?\d*e[-+]\d\d", text), "no number in exponent notation"


def test_republish_rewrites_the_derived_files_from_runs_csv_only(tmp_path):
    folder = tmp_path / "hub_decomposition"
    shutil.copytree(REPO / "results" / "hub_decomposition", folder)
    runs = (folder / "runs.csv").read_bytes()
    republish(folder, out=lambda line: None)
    manifest = load_manifest(folder)
    assert (folder / "runs.csv").read_bytes() == runs and "republished" in manifest
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    derived, kept = from_tables(folder, recorded_plan(folder, manifest))
    assert kept == [] and all((folder / n).read_bytes() == b for n, b in derived.items())  # a fixed point

    (folder / "runs.csv").write_bytes(runs.replace(b"0.", b"1.", 1))  # an edit the manifest does not know
    with pytest.raises(ExperimentError, match="differs from its SHA-256"):
        republish(folder)
    assert json.loads((folder / "manifest.json").read_text()) == manifest


def test_republish_is_a_subcommand_and_refuses_a_foreign_folder_in_one_line(tmp_path):
    folder = tmp_path / "hub_decomposition"
    shutil.copytree(REPO / "results" / "hub_decomposition", folder)
    report = (folder / "report.md").read_bytes()
    cli = [sys.executable, "-m", "experiments", "republish"]
    done = subprocess.run([*cli, str(folder)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (folder / "report.md").read_bytes() == report  # the committed report is already its own fixed point
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "runs.csv").write_text("a,b\n1,2\n")
    refused = subprocess.run([*cli, str(foreign)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert refused.returncode != 0 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert sorted(p.name for p in foreign.iterdir()) == ["runs.csv"]  # nothing written into it
