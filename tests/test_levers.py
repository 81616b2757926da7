"""Each policy lever, alone, moves its outcome in the direction the mechanism implies.

Towns of 2,000 and 5,000 citizens, three seeds each (not the calibration's),
compared with common random numbers (same seeds) so that the lever, not the
noise, makes the difference.
"""

from __future__ import annotations

from conftest import town_mean


def test_account_mandate_reaches_its_share_by_the_deadline(size):
    mandate = ("policy=laissez_faire", "policy.mandate.deadline_day=200")
    free = town_mean("policy=laissez_faire", days=200, size=size)
    forced = town_mean(*mandate, "policy.mandate.share=1.0", days=200, size=size)
    half = town_mean(*mandate, "policy.mandate.share=0.5", days=200, size=size)
    assert forced["account_share"] == 1.0
    assert half["account_share"] >= 0.5
    assert free["account_share"] < 0.3 < half["account_share"]


def test_post_count_audit_breeds_filler_and_more_as_motivation_falls(size):
    no_audit = town_mean("policy=quota", "policy.audit.metric=none", size=size)
    keen = town_mean("policy=quota", "agency.motivation_alpha=3.0", "agency.motivation_beta=3.0", size=size)
    status_quo = town_mean("policy=quota", size=size)
    reluctant = town_mean("policy=quota", "agency.motivation_alpha=0.3", "agency.motivation_beta=3.0", size=size)
    assert no_audit["filler_share"] == 0.0
    assert keen["filler_share"] < status_quo["filler_share"] < reluctant["filler_share"]


def test_training_raises_skill_and_dialogue(size):
    """On the mandate's accounts, so that voluntary adoption's noise does not mask the lever."""
    base = town_mean("policy=quota", days=800, size=size)
    trained = town_mean("policy=quota", "policy.training.share_per_year=0.35", days=800, size=size)
    assert trained["mean_skill"] > base["mean_skill"] + 0.05
    assert trained["dialogue_ratio"] > 1.2 * base["dialogue_ratio"]


def test_integration_routes_everything_and_resolves_more(size):
    seeds = (7, 8, 9, 10, 11)
    base = town_mean("policy=quota", days=800, size=size, seeds=seeds)
    hub = town_mean("policy=quota", "policy.integration.enabled=true", days=800, size=size, seeds=seeds)
    assert hub["misrouted_share"] < 0.5 * base["misrouted_share"]
    assert hub["resolution_rate"] > base["resolution_rate"]


def test_inclusion_places_alone_help_the_originally_excluded(size):
    base = town_mean("policy=quota", size=size)
    places = town_mean("policy=quota", "policy.inclusion.places_per_10k=1000", size=size)
    assert places["connected_share"] > base["connected_share"] + 0.02
    assert places["needs_met_origin_excluded"] > base["needs_met_origin_excluded"]


def test_assisted_coverage_alone_helps_the_excluded(size):
    """Helpers go online where accounts answer: the lever acts through the accounts' responsiveness."""
    base = town_mean("policy=quota", size=size)
    assisted = town_mean("policy=quota", "policy.inclusion.assisted_coverage=0.6", size=size)
    assert assisted["needs_met_origin_excluded"] > base["needs_met_origin_excluded"]
    assert assisted["unmet_needs_excluded"] < base["unmet_needs_excluded"]


def test_offline_diversion_widens_the_needs_met_gap(size):
    kept = town_mean("policy=quota", "policy.offline_diversion=0.0", size=size)
    diverted = town_mean("policy=quota", "policy.offline_diversion=0.4", size=size)
    assert diverted["equity_gap"] > kept["equity_gap"]
    assert diverted["needs_met_excluded"] < kept["needs_met_excluded"]


def test_demand_beyond_capacity_grows_backlog_and_delay(size):
    normal = town_mean("policy=training", size=size)
    flooded = town_mean("policy=training", "citizen.need_rate=0.04", "agency.staff_capacity=0.5", size=size)
    assert flooded["backlog_per_1k"] > 2 * normal["backlog_per_1k"]
    assert flooded["median_response_delay"] > normal["median_response_delay"]
    assert flooded["wait_days_connected"] > normal["wait_days_connected"]
