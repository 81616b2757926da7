"""Pattern-oriented validation as an experiment: named conditions, pattern checks, bands, verify.

The experiment here is tiny (a 500-citizen town for 40 days, two replicates);
the real one is configs/experiment/patterns.yaml (checked for validity below).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import REPO, experiments, read_csv

from experiments import patterns
from experiments.aggregate import describe
from experiments.cache import RunStore, code_fingerprint
from experiments.plan import make_plan
from experiments.spec import CheckSpec, ExperimentError, experiment_from_dict, load_experiment

TINY = Path(__file__).resolve().parent / "data" / "experiments" / "patterns_tiny.yaml"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("patterns")
    proc = experiments("run", str(TINY), "--results", str(root / "results"), "--cache", str(root / "cache"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root, proc


def test_pattern_table_structure_and_results(tiny):
    root, proc = tiny
    out = root / "results" / "patterns_tiny"
    names = {p.name for p in out.iterdir()}
    assert {"patterns.csv", "patterns.png", "runs.csv", "summary.csv", "report.md", "manifest.json"} <= names
    rows = read_csv(out / "patterns.csv")
    assert [r["pattern"] for r in rows] == ["T1", "T1", "T2", "T3"]
    for column in (
        "claim",
        "public_figure",
        "source",
        "measure",
        "mean",
        "ci_low",
        "ci_high",
        "band",
        "check",
        "pattern_result",
    ):
        assert column in rows[0]
    assert [r["check"] for r in rows] == ["pass", "pass", "fail", "pass"]
    assert [r["pattern_result"] for r in rows] == ["pass", "pass", "fail", "pass"]
    assert rows[2]["band"] == "1.5 – 2" and rows[1]["band"] == "≤ 0"

    # the runs carry the conditions' names, and the swept key the overrides touch, resolved per condition
    runs = read_csv(out / "runs.csv")
    assert [r["name"] for r in runs] == ["quota"] * 2 + ["laissez_faire"] * 2 + ["quota_no_audit"] * 2
    assert [r["policy.audit.metric"] for r in runs[::2]] == ["posts", "none", "none"]

    # a difference is paired by seed and summarised with the Student-t CI of summary.csv
    quota = np.array([float(r["active_share"]) for r in runs if r["name"] == "quota"])
    no_audit = np.array([float(r["active_share"]) for r in runs if r["name"] == "quota_no_audit"])
    d = describe((quota - no_audit)[:, None])
    assert float(rows[3]["mean"]) == pytest.approx(d["mean"][0], abs=1e-12)
    assert float(rows[3]["ci_high"]) == pytest.approx(d["ci_high"][0], abs=1e-12)

    report = (out / "report.md").read_text()
    assert "## Patterns" in report and "**2 of 3 patterns pass.**" in report and "](patterns.png)" in report
    assert "Patterns: 2 of 3 pass" in proc.stdout and "T2   prediction FAIL" in proc.stdout


def test_pass_follows_the_band_when_it_is_shifted(tiny):
    """Re-evaluate the stored runs with shifted bands: inside passes, outside or straddling fails."""
    root, _ = tiny
    exp = load_experiment(TINY)
    plan = make_plan(exp, str(TINY))
    store = RunStore(root / "cache" / "patterns_tiny" / code_fingerprint())
    runs = pd.read_csv(root / "results" / "patterns_tiny" / "runs.csv")
    base = patterns.pattern_table(plan, store, runs).iloc[0]  # T1: quota:connected_share@day1
    lo, hi = base["ci_low"], base["ci_high"]
    assert lo < hi  # two different seeds, two different towns
    cases = {
        (lo - 0.01, hi + 0.01): "pass",
        (hi + 0.01, None): "fail",  # band above the model
        (None, lo - 0.01): "fail",  # band below the model
        ((lo + hi) / 2, None): "fail",  # the mean is inside, but the interval straddles the bound
        (lo, hi): "pass",  # bounds are included
        ((lo + hi) / 2 + 1e-9, hi + 1): "fail",  # a figure's band that misses the mean
    }
    for band, expected in cases.items():
        exp.patterns[0].checks[0].band = list(band)
        table = patterns.pattern_table(plan, store, runs)
        assert table.iloc[0]["check"] == expected, band
        assert table.iloc[0]["pattern_result"] == ("pass" if expected == "pass" else "fail")
    # an input is reported, not evidence: a failing input check does not fail its pattern
    exp.patterns[0].checks[0].kind = "input"
    table = patterns.pattern_table(plan, store, runs)
    assert table.iloc[0]["check"] == "fail" and table.iloc[0]["pattern_result"] == "pass"


def test_rule_on_nan_and_open_bounds():
    direction = CheckSpec(measure="a:x", band=[0.1, None])
    assert patterns.passes(direction, 1.0, 0.1, 5.0)
    assert not patterns.passes(direction, 1.0, 0.09, 5.0)  # a direction needs the whole CI beyond the bound
    assert not patterns.passes(direction, math.nan, math.nan, math.nan)
    figure = CheckSpec(measure="a:x", band=[0.3, 0.4])
    assert patterns.passes(figure, 0.35, 0.2, 0.5)  # a figure with its uncertainty: the mean lies in it
    assert not patterns.passes(figure, 0.41, 0.35, 0.47)
    assert not patterns.passes(figure, math.nan, math.nan, math.nan)
    assert patterns.band_text([None, 0.6]) == "≤ 0.6" and patterns.band_text([1.0, None]) == "≥ 1"


def test_verify_reproduces_the_pattern_table(tiny):
    root, _ = tiny
    proc = experiments("verify", str(root / "results" / "patterns_tiny"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "OK" in proc.stdout


BAD = {
    "unknown condition": ({"measure": "nobody:active_share", "band": [0, 1]}, "conditions among a | b"),
    "unknown outcome": ({"measure": "a:active", "band": [0, 1]}, "a summary outcome such as active_share"),
    "day zero": ({"measure": "a:connected_share@day0", "band": [0, 1]}, "N >= 1"),
    "malformed": ({"measure": "a:active_share + b:active_share", "band": [0, 1]}, "difference of two such terms"),
    "no kind": ({"measure": "a:active_share", "band": [0, 1], "kind": ""}, "input | target | prediction"),
    "no bound": ({"measure": "a:active_share", "band": [None, None]}, "at least one bound"),
    "reversed band": ({"measure": "a:active_share", "band": [1, 0]}, "low <= high"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_pattern_is_rejected_in_one_line(case):
    check, message = BAD[case]
    check = {"kind": "prediction", **check}
    raw = {
        "outcomes": ["active_share"],
        "conditions": [{"name": "a", "regime": "quota"}, {"name": "b", "regime": "laissez_faire"}],
        "patterns": [{"id": "P", "checks": [check]}],
    }
    with pytest.raises(ExperimentError) as info:
        experiment_from_dict(raw, "bad.yaml")
    assert "\n" not in str(info.value) and message in str(info.value), str(info.value)


def test_conditions_are_validated():
    base = {"outcomes": ["active_share"]}
    cases = [
        ({"conditions": [{"name": "a"}, {"name": "a"}]}, "a name not used by another condition"),
        ({"conditions": [{"name": "a b"}]}, "letters, digits and _"),
        ({"conditions": [{"name": "a", "regime": "anarchy"}]}, "conditions[0].regime=anarchy"),
        ({"conditions": [{"name": "a", "overrides": ["agency.staf=1"]}]}, "a model config key such as"),
        ({"conditions": [{"name": "a"}], "sweep": {"agency.staff_capacity": [1, 2]}}, "empty when the experiment"),
        ({"patterns": [{"id": "P", "checks": [{"measure": "a:active_share", "band": [0, 1]}]}]}, "named conditions"),
    ]
    for extra, message in cases:
        with pytest.raises(ExperimentError) as info:
            experiment_from_dict({**base, **extra}, "bad.yaml")
        assert message in str(info.value), str(info.value)


def test_shipped_patterns_experiment_matches_the_odd():
    """Six patterns at three city sizes, every check labelled; ODD section 1 lists each check, kind and band."""
    exp = load_experiment("patterns")
    plan = make_plan(exp, "patterns")
    assert [p.id for p in exp.patterns] == ["P1", "P2", "P3", "P4", "P5", "P6"]
    assert exp.replicates >= 20
    sizes = {c.config.population.n_citizens for c in plan.conditions if c.regime == "quota"}
    assert sizes == {3_000, 10_000, 30_000}
    odd = (REPO / "docs" / "ODD.md").read_text()
    section = odd.split("## 1. Purpose and patterns", 1)[1].split("\n## 2.", 1)[0]
    for pattern in exp.patterns:
        for check in pattern.checks:
            assert check.kind in ("input", "target", "prediction")
            row = next((line for line in section.splitlines() if f"`{check.measure}`" in line), None)
            assert row is not None, (pattern.id, check.measure)
            assert patterns.band_text(check.band) in row and check.kind in row, (pattern.id, check.measure, row)
    # every target is a calibration target of a calibration experiment, and no prediction is
    targets = {
        t.outcome
        for name in ("calibration_agencies", "calibration_citizens")
        for t in load_experiment(name).calibration.targets
    }
    for pattern in exp.patterns:
        for check in pattern.checks:
            outcome = check.measure.split(":")[-1].split("@")[0]
            if check.kind == "prediction":
                assert outcome not in targets, check.measure
    assert patterns.RULE in " ".join(section.split())
