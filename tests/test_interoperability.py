"""The core as a model function for EMA Workbench and SALib: `f(**params) -> dict of scalars`.

Neither package is needed for the first test; the examples of
docs/interoperability.md run here at a smaller size (the EMA one only where
ema_workbench happens to be installed: it is not a govsim dependency).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from sim.api import run_outcomes

DOC = Path(__file__).resolve().parent.parent / "docs" / "interoperability.md"


def same(a: dict[str, float], b: dict[str, float]) -> bool:
    """Equal outcomes, NaN (an undefined rate) equal to NaN."""
    return a.keys() == b.keys() and all(a[k] == b[k] or (np.isnan(a[k]) and np.isnan(b[k])) for k in a)


def blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)


def test_run_outcomes_takes_identifier_keywords_and_returns_float_scalars():
    params = {
        "population": "classroom",
        "days": 30,
        "seed": 2,
        "agency__staff_capacity": 0.8,
        "citizen__threshold_alpha": 2.5,
        "policy__audit__quota": 12,
        "population__internet_penetration": np.float64(0.6),  # what samplers hand over
    }
    assert all(name.isidentifier() for name in params)
    out = run_outcomes(**params)
    assert isinstance(out, dict) and out
    assert all(isinstance(k, str) and k.isidentifier() for k in out)
    assert all(type(v) is float for v in out.values())
    for name in ("ghost_share", "dialogue_ratio", "active_share", "response_rate", "equity_gap"):
        assert name in out
    assert out["days"] == 30.0
    # the keywords reached the model: a different lever gives a different run
    assert same(run_outcomes(**params), out)
    assert not same(run_outcomes(**{**params, "agency__staff_capacity": 2.0}), out)


def test_docs_wrapper_and_salib_example_run():
    code = blocks()
    assert len(code) == 4
    ns: dict = {}
    exec(code[1], ns)  # the wrapper
    out = ns["govsim"](regime="training", population="classroom", days=20, seed=1)
    assert same(out, run_outcomes(policy="training", population="classroom", days=20, seed=1))
    salib = code[3].replace("N=4", "N=2").replace("days=180", "days=20").replace("(1, 2, 3)", "(1, 2)")
    assert salib != code[3]
    exec(salib, ns)
    si = ns["Si"]
    assert list(si["names"]) == ns["problem"]["names"] and np.isfinite(si["mu_star"]).all()


def test_docs_ema_example_runs_where_ema_is_installed():
    pytest.importorskip("ema_workbench")
    code = blocks()
    ns: dict = {}
    exec(code[1], ns)
    ema = code[2].replace("scenarios=8, policies=3", "scenarios=2, policies=1").replace('"days", 365', '"days", 20')
    exec(ema, ns)
    assert len(ns["experiments"]) == 2 and set(ns["outcomes"]) == {"dialogue_ratio", "response_rate", "equity_gap"}
