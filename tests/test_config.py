"""Structured configs: validation, the generated ODD table, user-defined regimes."""

from __future__ import annotations

import dataclasses
import re
import uuid

import pytest

from sim import ConfigError, SimConfig, load_config, run_simulation
from sim.api import CONFIG_DIR, options, with_values
from sim.config import declarations, flatten, n_districts, n_leaders, validate
from sim.parameters import ODD, main, render

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


def test_typed_values_are_set_as_overrides_set_them_and_refused_in_one_line():
    """One path for typed values (keywords, dashboard levers, experiment conditions): sim.api.with_values."""
    base = load_config(["population=classroom"])
    typed = with_values(base, {"citizen.need_rate": 0.02, "seed": 9, "agency.staff_capacity": 1})
    assert typed == load_config(["population=classroom", "citizen.need_rate=0.02", "seed=9", "agency.staff_capacity=1"])
    assert type(typed.agency.staff_capacity) is float and base.seed == 0  # converted; the base is left alone
    merged = with_values(base, {"policy.audit": {"quota": 3}, "agency.level_need_shares": [0.5, 0.3, 0.2]})
    assert (merged.policy.audit.quota, merged.agency.level_need_shares) == (3, [0.5, 0.3, 0.2])
    refused = {
        "agency.staf_capacity": (1.0, "unknown key agency.staf_capacity=1.0; allowed keys in agency: motivation_alpha"),
        "agency.cost_filler": (1.0, "agency.cost_filler is a fixed factor (0.1)"),
        "seed": (3.0, "seed=3.0; allowed: a whole number"),
        "policy.integration.enabled": (1, "policy.integration.enabled=1; allowed: true or false"),
        "population.n_citizens": (-5, "population.n_citizens=-5; allowed: a whole number >= 1"),
    }
    for key, (value, message) in refused.items():
        with pytest.raises(ConfigError, match=re.escape(message)) as err:
            with_values(base, {key: value})
        assert "\n" not in str(err.value)
        with pytest.raises(ConfigError, match=re.escape(message)):  # the same message from load_config's keywords
            load_config(**{key.replace(".", "__"): value})


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


def test_every_parameter_is_declared_once_with_a_real_source_and_the_odd_table_is_current(capsys):
    decls = declarations()
    assert set(flatten(SimConfig())) == set(decls)
    for key, decl in decls.items():
        meta = decl.metadata
        assert meta["meaning"] and meta["source"], key
        # sources name the article, a publication, a lever or say "modelling choice"; never the brief
        assert "SPEC" not in meta["source"], key
    text = ODD.read_text()
    assert render(text) == text, "docs/ODD.md parameter table is stale: run python -m sim.parameters --write"
    assert main(["--check"]) == 0 and "up to date" in capsys.readouterr().out
    assert text.index("## 1. Purpose and patterns") < text.index("## 2.")


def test_structure_follows_the_population_rule_unless_set():
    for n, districts, leaders in ((3_000, 4, 9), (10_000, 13, 30), (30_000, 39, 90), (100_000, 130, 300)):
        cfg = load_config([f"population.n_citizens={n}"])
        assert (n_districts(cfg.population), n_leaders(cfg)) == (districts, leaders)
    tiny = load_config(["population.n_citizens=300"])  # the rule never gives fewer leaders than follow slots
    assert n_leaders(tiny) == tiny.leader.max_followed
    pinned = load_config(["population.n_citizens=30000", "population.n_districts=13"]).population
    assert n_districts(pinned) == 13


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


def test_the_outcome_table_is_generated_where_the_odd_marks_it():
    from sim.measures import OUTCOMES
    from sim.parameters import BEGIN, END, OUTCOMES_BEGIN, OUTCOMES_END

    text = f"a\n{BEGIN}\nSTALE\n{END}\nb\n{OUTCOMES_BEGIN}\nSTALE\n{OUTCOMES_END}\nc\n"
    new = render(text)
    assert "STALE" not in new and new.startswith("a\n") and new.endswith("\nc\n")
    assert all(f"| `{o.key}` | {o.meaning}" in new for o in OUTCOMES)
    assert render(new) == new


def test_a_fixed_factor_is_no_config_key_and_says_so():
    """The seven former parameters that the confirmation screens fixed are refused by name, and listed in the ODD."""
    from sim.config import FIXED_FACTORS

    assert set(FIXED_FACTORS) == {
        "agency.cost_filler",
        "agency.boilerplate_cost_factor",
        "citizen.skill_beta",
        "leader.popularity_alpha",
        "leader.agencies_watched",
        "agency.adoption_imitation",
        "leader.criticism_threshold",
    }
    defaults = flatten(SimConfig())
    text = ODD.read_text()
    for key, factor in FIXED_FACTORS.items():
        assert key not in defaults and factor.evidence and f"| `{key}` | `{factor.value}` |" in text
        with pytest.raises(ConfigError, match=f"{key} is a fixed factor"):
            load_config([f"{key}=1"])
