"""The outcome declarations (sim/measures.py) against what the recorder really writes."""

from __future__ import annotations

import math

from sim.api import load_config
from sim.measures import DAILY_OUTCOMES, HEADLINE, MONITORS, OUTCOME_BY_KEY, OUTCOMES, SUMMARY_OUTCOMES, UNITS
from sim.model import GovSimModel


def test_the_recorder_writes_exactly_the_declared_outcomes_in_order():
    model = GovSimModel(load_config(["population=classroom", "days=30", "seed=1"]))
    model.run()
    assert tuple(model.recorder.timeseries().columns) == ("day", *DAILY_OUTCOMES)
    assert tuple(model.recorder.summary()) == SUMMARY_OUTCOMES


def test_the_latest_outcomes_are_the_last_row_of_the_time_series_as_python_numbers():
    model = GovSimModel(load_config(["population=classroom", "days=40", "seed=2"]))
    assert model.recorder.latest() == {} and len(model.recorder.timeseries()) == 0

    def same(a: float, b: float) -> bool:
        return a == b or (math.isnan(a) and math.isnan(b))

    model.run()
    last = model.recorder.latest()
    row = model.recorder.timeseries().iloc[-1]
    assert list(last) == list(row.index)
    for key, value in last.items():
        assert type(value) is (int if key == "day" else float), key
        assert same(value, row[key]), key
    # the columns are copies: writing into one leaves the recorded outcomes as they were
    model.recorder.columns()["backlog"][:] = -1
    assert all(same(v, last[k]) for k, v in model.recorder.latest().items())


def test_the_outcomes_module_publishes_the_declared_names():
    from sim import outcomes

    assert outcomes.DAILY_OUTCOMES is DAILY_OUTCOMES and outcomes.SUMMARY_OUTCOMES is SUMMARY_OUTCOMES


def test_every_declaration_is_complete_and_unique():
    assert len(OUTCOME_BY_KEY) == len(OUTCOMES)
    assert len({o.label for o in OUTCOMES}) == len(OUTCOMES)
    for o in OUTCOMES:
        assert o.label and o.meaning and "\n" not in o.meaning, o.key
        assert o.unit in UNITS and o.better in (-1, 0, 1), o.key
    assert set(DAILY_OUTCOMES) <= set(SUMMARY_OUTCOMES)
    assert SUMMARY_OUTCOMES[: len(DAILY_OUTCOMES)] == DAILY_OUTCOMES  # summary-only ones come last
    assert HEADLINE and MONITORS and all(o.daily for o in MONITORS)


def test_units_format_values_and_missing_cells():
    assert OUTCOME_BY_KEY["ghost_share"].format(0.12345) == "0.123"
    assert OUTCOME_BY_KEY["backlog"].format(1234.0) == "1,234"
    assert OUTCOME_BY_KEY["wait_days_excluded"].format(math.nan) == "–"
