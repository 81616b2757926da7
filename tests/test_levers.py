"""Each policy lever moves its outcome in the direction SPEC.md implies.

Small towns (2,000 citizens), three seeds each, compared with common random
numbers (same seeds) so that the lever, not the noise, makes the difference.
"""

from __future__ import annotations

from conftest import town_mean


def test_account_mandate_reaches_its_share_by_the_deadline():
    free = town_mean("policy=laissez_faire", days=200)
    forced = town_mean("policy=laissez_faire", "policy.mandate.share=1.0", "policy.mandate.deadline_day=200", days=200)
    half = town_mean("policy=laissez_faire", "policy.mandate.share=0.5", "policy.mandate.deadline_day=200", days=200)
    assert forced["account_share"] == 1.0
    assert half["account_share"] >= 0.5
    assert free["account_share"] < 0.3 < half["account_share"]


def test_post_count_audit_breeds_filler_and_more_as_motivation_falls():
    no_audit = town_mean("policy=quota", "policy.audit.metric=none")
    keen = town_mean("policy=quota", "agency.motivation_alpha=3.0", "agency.motivation_beta=3.0")
    status_quo = town_mean("policy=quota")
    reluctant = town_mean("policy=quota", "agency.motivation_alpha=0.3", "agency.motivation_beta=3.0")
    assert no_audit["filler_share"] == 0.0
    assert keen["filler_share"] < status_quo["filler_share"] < reluctant["filler_share"]


def test_training_raises_skill_and_dialogue():
    base = town_mean("policy=laissez_faire")
    trained = town_mean("policy=training")
    assert trained["mean_skill"] > base["mean_skill"] + 0.05
    assert trained["dialogue_ratio"] > 1.2 * base["dialogue_ratio"]


def test_integration_resolves_more_and_misroutes_less():
    base = town_mean("policy=laissez_faire")
    hub = town_mean("policy=integration")
    assert hub["misrouted_share"] < 0.5 * base["misrouted_share"]
    assert hub["resolution_rate"] > base["resolution_rate"]


def test_inclusion_narrows_the_needs_met_gap():
    base = town_mean("policy=quota")
    included = town_mean(
        "policy=quota", "policy.inclusion.places_per_10k=1000", "policy.inclusion.assisted_coverage=0.6"
    )
    assisted = town_mean("policy=quota", "policy.inclusion.assisted_coverage=0.6")
    assert included["equity_gap"] < base["equity_gap"]
    assert assisted["equity_gap"] < base["equity_gap"]
    assert included["connected_share"] > base["connected_share"] + 0.05
    assert included["unmet_needs_excluded"] < base["unmet_needs_excluded"]


def test_offline_diversion_widens_the_needs_met_gap():
    kept = town_mean("policy=quota", "policy.offline_diversion=0.0")
    diverted = town_mean("policy=quota", "policy.offline_diversion=0.4")
    assert diverted["equity_gap"] > kept["equity_gap"]
    assert diverted["needs_met_excluded"] < kept["needs_met_excluded"]


def test_demand_beyond_capacity_grows_backlog_and_delay():
    normal = town_mean("policy=training")
    flooded = town_mean("policy=training", "citizen.need_rate=0.04", "agency.staff_capacity=0.5")
    assert flooded["backlog"] > 2 * normal["backlog"]
    assert flooded["median_response_delay"] > normal["median_response_delay"]
    assert flooded["wait_days_connected"] > normal["wait_days_connected"]
