"""Calibration as an experiment: a sweep's grid cells ranked by their distance to the targets."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from conftest import REPO, experiments

from experiments.spec import ExperimentError, experiment_from_dict
from sim.config import SimConfig, flatten

TINY = Path(__file__).resolve().parent / "data" / "experiments" / "calibration_tiny.yaml"


def test_the_cell_that_meets_the_target_ranks_first_and_verify_reproduces_it(tmp_path):
    proc = experiments("run", str(TINY), "--results", str(tmp_path / "results"), "--cache", str(tmp_path / "cache"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = tmp_path / "results" / "calibration_tiny"
    rows = list(csv.DictReader(io.StringIO((out / "calibration.csv").read_text())))
    assert [r["policy.audit.quota"] for r in rows] == ["0", "30"]  # no audit, no filler: distance 0
    assert float(rows[0]["distance"]) == 0.0 < float(rows[1]["distance"])
    assert float(rows[1]["distance"]) == pytest.approx((float(rows[1]["filler_share"]) / 0.1) ** 2)
    report = (out / "report.md").read_text()
    assert "## Calibration" in report and "`policy.audit.quota=0`" in report
    assert "Calibration: rank 1 of 2 cells" in proc.stdout
    verify = experiments("verify", str(out))
    assert verify.returncode == 0 and "OK" in verify.stdout, verify.stdout + verify.stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"sweep": {}}, "a calibration needs a `sweep` grid"),
        ({"calibration": {"targets": []}}, "a non-empty list of {outcome, figure, width}"),
        ({"calibration": {"targets": [{"outcome": "filler", "figure": 0, "width": 1}]}}, "a summary outcome such as"),
        ({"calibration": {"targets": [{"outcome": "filler_share", "figure": 0, "width": 0}]}}, "a number > 0"),
        ({"calibration": {"target": []}}, "calibration.target"),
    ],
)
def test_a_bad_calibration_is_rejected_in_one_line(extra, message):
    raw = {
        "outcomes": ["filler_share"],
        "sweep": {"policy.audit.quota": [0, 6]},
        "calibration": {"targets": [{"outcome": "filler_share", "figure": 0.0, "width": 0.1}]},
        **extra,
    }
    with pytest.raises(ExperimentError) as info:
        experiment_from_dict(raw, "bad.yaml")
    assert message in str(info.value) and "\n" not in str(info.value), str(info.value)


@pytest.mark.parametrize("name", ["calibration_agencies", "calibration_citizens"])
def test_the_models_defaults_are_the_committed_calibration(name):
    """The best cell of each committed calibration is what sim/config.py ships."""
    rows = list(csv.DictReader(io.StringIO((REPO / "results" / name / "calibration.csv").read_text())))
    best = rows[0]
    defaults = flatten(SimConfig())
    swept = [k for k in best if k in defaults]
    assert swept, best
    for key in swept:
        assert float(best[key]) == pytest.approx(float(defaults[key])), key
