"""Morris screening as an experiment: the design, its runs through the machinery, the ranking, verify.

The screening here is tiny (3 parameters, r = 2: 8 design points x 2 seeds of a
500-citizen town for 40 days); the real one is configs/experiment/sensitivity.yaml.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import experiments, read_csv

from experiments.designs import design_matrix
from experiments.plan import make_plan
from experiments.sensitivity import confirmation, inert, ranking_table
from experiments.spec import ExperimentError, experiment_from_dict, load_experiment

TINY = Path(__file__).resolve().parent / "data" / "experiments" / "morris_tiny.yaml"
KEYS = ["citizen.threshold_alpha", "agency.staff_capacity", "policy.audit.quota"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("morris")
    proc = experiments("run", str(TINY), "--results", str(root / "results"), "--cache", str(root / "cache"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root, proc


def test_design_is_reproducible_and_runs_on_the_grid():
    exp = load_experiment(TINY)
    a, b = design_matrix(exp.design), design_matrix(exp.design)
    assert a.shape == (8, 3) and np.array_equal(a, b)
    other = dataclasses.replace(exp.design, seed=4)
    assert not np.array_equal(a, design_matrix(other))
    plan = make_plan(exp, str(TINY))
    again = make_plan(load_experiment(TINY), str(TINY))
    assert [r.run_id for r in plan.runs] == [r.run_id for r in again.runs]
    assert len(plan.conditions) == 8 and len(plan.runs) == 16 and plan.swept == KEYS
    for cond, row in zip(plan.conditions, a, strict=True):
        assert [cond.given[k] for k in KEYS] == pytest.approx(list(row))
        quota = cond.config.policy.audit.quota
        assert isinstance(quota, int) and quota in (0, 8, 16, 24)  # whole-number key, rounded onto the grid
        assert cond.config.agency.staff_capacity == pytest.approx(row[1])
        assert cond.config.population.name == "classroom" and cond.config.policy.name == "quota"
    # consecutive points of a trajectory differ in exactly one parameter
    steps = (np.diff(a.reshape(2, 4, 3), axis=1) != 0).sum(axis=2)
    assert (steps == 1).all()


def test_screening_writes_ranking_charts_and_report(tiny):
    root, proc = tiny
    out = root / "results" / "morris_tiny"
    names = {p.name for p in out.iterdir()}
    charts = {"morris_active_share.png", "morris_response_rate.png"}
    assert {"morris.csv", "runs.csv", "summary.csv", "report.md", "manifest.json"} | charts <= names
    runs = read_csv(out / "runs.csv")
    assert len(runs) == 16 and all(k in runs[0] for k in KEYS)
    assert {r["policy.audit.quota"] for r in runs} <= {"0", "8", "16", "24"}
    table = pd.read_csv(out / "morris.csv")
    for outcome, block in table.groupby("outcome"):
        assert sorted(block["parameter"]) == sorted(KEYS), outcome
        assert block["rank"].tolist() == [1, 2, 3]
        assert (block["mu_star"] >= 0).all() and block["mu_star"].is_monotonic_decreasing
        assert (block["sigma"] >= 0).all() and (block["noise_floor"] >= 0).all()
        assert (block["independent_floor"] > 0).all()
    report = (out / "report.md").read_text()
    assert "## Morris screening" in report and "](morris_active_share.png)" in report
    assert "| rank |" in report and "## Results per condition" in report
    assert "Morris ranking" in proc.stdout


def _synthetic_screen(active_share) -> tuple:
    """The tiny Morris plan with made-up outcomes: active_share(run, x), x = staff capacity normalised to
    [0, 1]; response_rate constant."""
    plan = make_plan(load_experiment(TINY), str(TINY))
    rows = []
    for run in plan.runs:
        x = (run.condition.given["agency.staff_capacity"] - 0.5) / 1.5
        rows.append(
            {
                "condition": run.condition.index,
                "replicate": run.replicate,
                "seed": run.seed,
                "active_share": active_share(run, x),
                "response_rate": 0.5,
            }
        )
    return plan, pd.DataFrame(rows)


def test_averaging_and_ranking_on_a_known_function():
    """Outcome = 0.3 x staff capacity (normalised) + replicate noise: staff capacity ranks first, the rest is noise."""
    rng = np.random.default_rng(0)
    plan, runs = _synthetic_screen(lambda run, x: 0.3 * x + rng.normal(0, 0.001))
    table, notes = ranking_table(plan, runs)
    top = table[table["outcome"] == "active_share"].set_index("parameter")
    assert top.loc["agency.staff_capacity", "rank"] == 1
    assert top.loc["agency.staff_capacity", "mu_star"] == pytest.approx(0.3, rel=0.05)
    assert top.loc["agency.staff_capacity", "above_noise"]
    for null in ("citizen.threshold_alpha", "policy.audit.quota"):  # noise only: tiny, and near the floor
        assert top.loc[null, "mu_star"] < 0.02 and top.loc[null, "mu_star"] < 3 * top.loc[null, "noise_floor"]
    flat = table[table["outcome"] == "response_rate"]
    assert (flat["mu_star"] == 0).all() and notes == []


def test_a_confirmation_tests_each_parameter_on_its_predicted_outcome_only():
    """A real effect on the predicted outcome is confirmed; a prediction on the wrong outcome, or for a
    parameter without effect, fails, whatever the parameter does to other outcomes."""
    rng = np.random.default_rng(2)
    shared: dict[int, float] = {}  # seed noise common to every point: the null parameters' effects are exactly 0
    plan, runs = _synthetic_screen(lambda run, x: shared.setdefault(run.seed, rng.normal(0, 0.05)) + 0.3 * x)
    table, _ = ranking_table(plan, runs)
    hypotheses = {
        "agency.staff_capacity": "active_share",
        "citizen.threshold_alpha": "active_share",
        "policy.audit.quota": "response_rate",
    }
    checks = confirmation(table, hypotheses).set_index("parameter")
    assert checks["confirmed"].to_dict() == {
        "agency.staff_capacity": True,
        "citizen.threshold_alpha": False,
        "policy.audit.quota": False,
    }
    assert checks.loc["agency.staff_capacity", "mu_star"] == pytest.approx(0.3, rel=1e-6)
    wrong = confirmation(table, {"agency.staff_capacity": "response_rate"})
    assert not wrong["confirmed"].any()  # strong elsewhere, but not on the outcome it was predicted to move


def test_verify_reproduces_the_screening(tiny):
    root, _ = tiny
    proc = experiments("verify", str(root / "results" / "morris_tiny"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "OK" in proc.stdout


@pytest.mark.parametrize(
    ("design", "message"),
    [
        ({"parameters": {"agency.staff_capacity": [0.5, 2.0]}}, "two or more numeric config keys"),
        ({"parameters": {"agency.staff_capacity": [2.0, 0.5], "days": [1, 2]}}, "low < high"),
        ({"parameters": {"policy.audit.metric": [0, 1], "days": [1, 2]}}, "policy.audit.metric is not numeric"),
        ({"parameters": {"agency.staf": [0, 1], "days": [1, 2]}}, "a numeric model config key such as"),
        ({"parameters": {"seed": [0, 1], "days": [1, 2]}}, "a numeric model config key"),
        ({"method": "sobol", "parameters": {"days": [1, 2], "agency.staff_capacity": [1, 2]}}, "allowed: morris"),
        ({"levels": 3, "parameters": {"days": [1, 2], "agency.staff_capacity": [1, 2]}}, "an even whole number"),
        ({"paramters": {}}, "allowed: method | regime | parameters"),
        (
            {
                "parameters": {"days": [1, 2], "agency.staff_capacity": [1, 2]},
                "hypotheses": {"citizen.x": "active_share"},
            },
            "a key of design.parameters",
        ),
        (
            {"parameters": {"days": [1, 2], "agency.staff_capacity": [1, 2]}, "hypotheses": {"days": "mean_trust"}},
            "one of the experiment's outcomes",
        ),
    ],
)
def test_bad_design_is_rejected_in_one_line(design, message):
    with pytest.raises(ExperimentError) as info:
        experiment_from_dict({"outcomes": ["active_share"], "design": design}, "bad.yaml")
    assert "\n" not in str(info.value) and message in str(info.value), str(info.value)


def test_design_overrides_on_the_command_line():
    exp = load_experiment(TINY, ["design.trajectories=3", "design.parameters.leader.relay_prob=[0.1,0.6]"])
    assert exp.design.trajectories == 3 and exp.design.parameters["leader.relay_prob"] == [0.1, 0.6]
    assert len(make_plan(exp, str(TINY)).conditions) == (4 + 1) * 3


def test_shipped_sensitivity_experiment_screens_every_behavioural_parameter():
    from sim.config import SimConfig, declarations, flatten

    exp = load_experiment("sensitivity")
    assert exp.replicates >= 2
    decls = declarations()
    structure = {
        "seed",
        "days",
        "population.n_citizens",
        "population.n_districts",
        "population.n_leaders",
        "population.citizens_per_district",
        "population.citizens_per_leader",
    }
    behavioural = {
        k
        for k, v in flatten(SimConfig()).items()
        if k not in structure
        and not decls[k].metadata["reporting"]
        and isinstance(v, int | float)
        and not isinstance(v, bool)
    }
    # the parameters that act only under a count of replies are screened under that regime
    replies = load_experiment("sensitivity_quality")
    assert behavioural <= set(exp.design.parameters) | set(replies.design.parameters)
    plan = make_plan(exp, "sensitivity")
    assert len(plan.conditions) == (len(exp.design.parameters) + 1) * exp.design.trajectories


def test_noise_floor_is_the_95_percent_level_of_a_null_parameter():
    """mu_star of a parameter without effect (pure replicate noise) stays below the floor about 95 % of the time."""
    from experiments.sensitivity import delta, noise_floor

    rng = np.random.default_rng(1)
    sd, n, r, levels = 0.05, 3, 10, 4
    # elementary effect = difference of two n-replicate means over delta, r of them per parameter
    means = rng.normal(0, sd, size=(20_000, r, 2, n)).mean(axis=3)
    mu_star = np.abs((means[..., 1] - means[..., 0]) / delta(levels)).mean(axis=1)
    below = (mu_star < noise_floor(sd, n, delta(levels), r)).mean()
    assert 0.93 < below < 0.97


def test_the_noise_floor_is_paired_under_common_random_numbers():
    """Seed noise shared by every design point cancels in the paired effects: a small real effect is found,
    a parameter that changes nothing has floor and mu_star 0; independent runs would hide the effect."""
    rng = np.random.default_rng(3)
    shared: dict[int, float] = {}
    plan, runs = _synthetic_screen(lambda run, x: shared.setdefault(run.seed, rng.normal(0, 0.05)) + 0.01 * x)
    table, _ = ranking_table(plan, runs)
    top = table[table["outcome"] == "active_share"].set_index("parameter")
    staff = top.loc["agency.staff_capacity"]
    assert staff["above_noise"] and staff["mu_star"] == pytest.approx(0.01, rel=1e-6)
    assert staff["mu_star"] < staff["independent_floor"]  # what a screen of independent runs would miss
    for null in ("citizen.threshold_alpha", "policy.audit.quota"):
        assert top.loc[null, "mu_star"] == 0 and top.loc[null, "noise_floor"] == 0
        assert not top.loc[null, "above_noise"]
    assert set(inert(table)) == {"citizen.threshold_alpha", "policy.audit.quota"}
