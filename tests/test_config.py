"""Structured configs: validation, the generated ODD table, user-defined regimes."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from sim import ConfigError, SimConfig, load_config, run_simulation
from sim.api import CONFIG_DIR, options
from sim.config import flatten, validate
from sim.parameters import DOCS, ODD, render

NAMED_REGIMES = {"laissez_faire", "quota", "quota_quality", "training", "integration", "inclusion", "comprehensive"}


def test_the_seven_named_regimes_and_three_populations_load():
    assert set(options("policy")) >= NAMED_REGIMES
    assert {"classroom", "city", "metropolis"} <= set(options("population"))
    for regime in NAMED_REGIMES:
        assert load_config([f"policy={regime}"]).policy.name == regime


def test_defaults_are_the_status_quo_city():
    cfg = load_config()
    assert isinstance(cfg, SimConfig)
    assert (cfg.policy.name, cfg.population.n_citizens, cfg.days) == ("quota", 10_000, 1095)
    assert cfg.policy.audit.metric == "posts"


def test_keyword_overrides_use_double_underscores():
    cfg = load_config(policy="training", population="classroom", citizen__need_rate=0.02, seed=9)
    assert (cfg.policy.name, cfg.population.n_citizens, cfg.citizen.need_rate, cfg.seed) == ("training", 500, 0.02, 9)


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        (("citizen", "misroute_prob"), 1.2, "citizen.misroute_prob=1.2"),
        (("agency", "cost_reply"), 0.0, "agency.cost_reply=0.0"),
        (("policy", "audit"), None, "policy.audit.metric='likes'"),
        (("agency", "level_need_shares"), [0.5, 0.5], "agency.level_need_shares"),
    ],
)
def test_validate_names_key_value_and_allowed(path, value, named):
    cfg = SimConfig()
    if path == ("policy", "audit"):
        cfg.policy.audit.metric = "likes"
    else:
        setattr(getattr(cfg, path[0]), path[1], value)
    with pytest.raises(ConfigError) as err:
        validate(cfg)
    message = str(err.value)
    assert named in message and "allowed" in message and "\n" not in message


def test_every_parameter_is_documented_and_the_odd_table_is_current():
    keys = set(flatten(SimConfig()))
    assert keys == set(DOCS), f"undocumented: {keys - set(DOCS)}; stale: {set(DOCS) - keys}"
    text = ODD.read_text()
    assert render(text) == text, "docs/ODD.md parameter table is stale: run python -m sim.parameters"
    assert text.index("## 1. Purpose and patterns") < text.index("## 2.")


def test_a_user_regime_is_a_yaml_file():
    name = f"test_regime_{uuid.uuid4().hex[:8]}"
    path = CONFIG_DIR / "policy" / f"{name}.yaml"
    path.write_text(f"name: {name}\naudit:\n  metric: replies\n  quota: 4\ntraining:\n  share_per_year: 0.5\n")
    try:
        cfg = load_config([f"policy={name}", "population=classroom", "days=40"])
        assert cfg.policy.audit.metric == "replies" and cfg.policy.training.share_per_year == 0.5
        assert run_simulation(cfg).summary["mean_skill"] > 0
        path.write_text(f"name: {name}\naudit:\n  metrc: replies\n")
        with pytest.raises(ConfigError, match="metrc"):
            load_config([f"policy={name}"])
    finally:
        path.unlink()


def test_config_is_a_plain_dataclass_tree():
    cfg = load_config(["population=classroom"])
    assert dataclasses.is_dataclass(cfg.policy.audit)
    assert dataclasses.asdict(cfg)["population"]["n_citizens"] == 500
