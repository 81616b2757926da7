"""Levers changed between days of a running model (the dashboard's sliders)."""

from __future__ import annotations

import pytest

from sim.api import load_config
from sim.config import ConfigError
from sim.levers import MID_RUN_LEVERS
from sim.model import GovSimModel

TOWN = ["population=classroom", "seed=5"]


def _model(*overrides: str) -> GovSimModel:
    return GovSimModel(load_config([*TOWN, *overrides]))


def _run(model: GovSimModel, days: int) -> None:
    for _ in range(days):
        model.step()


def test_a_post_audit_switched_on_mid_run_breeds_filler_from_then_on():
    quiet, audited = (
        _model("policy=quota", "policy.audit.metric=none"),
        _model("policy=quota", "policy.audit.metric=none"),
    )
    _run(quiet, 100)
    _run(audited, 100)
    audited.set_lever("policy.audit.metric", "posts")
    audited.set_lever("policy.audit.quota", 12)
    _run(quiet, 100)
    _run(audited, 100)
    assert audited.day == quiet.day == 200  # no restart
    assert audited.lever_changes == [(100, "policy.audit.metric", "posts"), (100, "policy.audit.quota", 12)]
    filler_after = audited.recorder.timeseries()["posts_filler"]
    assert filler_after.iloc[:100].max() == 0
    assert filler_after.iloc[100:].sum() > 0
    assert quiet.recorder.timeseries()["posts_filler"].sum() == 0


def test_the_hub_opens_and_closes_mid_run():
    model = _model("policy=laissez_faire")
    _run(model, 10)
    model.set_lever("policy.integration.enabled", True)
    _run(model, 1)
    assert model.hub_active
    model.set_lever("policy.integration.enabled", False)
    _run(model, 1)
    assert not model.hub_active


def test_staff_capacity_scales_staff_hours_at_once():
    model = _model("policy=quota")
    _run(model, 5)
    before = [x for a in model.agency_list for x in (a.online_hours, a.office_capacity)]
    model.set_lever("agency.staff_capacity", 2.0)
    after = [x for a in model.agency_list for x in (a.online_hours, a.office_capacity)]
    assert after == pytest.approx([2 * x for x in before])


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("policy.audit.quota", -3, "policy.audit.quota=-3; allowed: a number >= 0"),
        ("policy.inclusion.assisted_coverage", 1.5, "assisted_coverage=1.5; allowed: a probability or share in [0, 1]"),
        ("policy.audit.metric", "likes", "policy.audit.metric='likes'; allowed: none | posts"),
        ("policy.audit.quota", "many", "policy.audit.quota='many'; allowed: int"),
        ("population.n_citizens", 900, "allowed mid-run: policy.audit.metric"),
    ],
)
def test_a_refused_lever_names_the_value_and_changes_nothing(key, value, message):
    model = _model("policy=quota")
    _run(model, 3)
    before = model.cfg
    with pytest.raises(ConfigError, match=message.replace(".", r"\.").replace("[", r"\[").replace("|", r"\|")) as err:
        model.set_lever(key, value)
    assert "\n" not in str(err.value)
    assert model.cfg is before and model.lever_changes == []


def test_every_mid_run_lever_is_accepted_at_its_current_value():
    model = _model("policy=comprehensive")
    for key in MID_RUN_LEVERS:
        node = model.cfg
        for part in key.split("."):
            node = getattr(node, part)
        model.set_lever(key, node)
    _run(model, 2)
    assert len(model.lever_changes) == len(MID_RUN_LEVERS)
