"""Conservation and bookkeeping: no need is lost or counted twice, counts add up."""

from __future__ import annotations

import numpy as np
import pytest

from sim import GovSimModel, load_config
from sim.needs import GROUPS

REGIMES = ("quota", "comprehensive", "quota_quality")


@pytest.fixture(scope="module", params=REGIMES)
def run(request):
    cfg = load_config(["population=classroom", "days=200", f"policy={request.param}", "seed=4"])
    model = GovSimModel(cfg)
    model.run()
    return model


def test_every_need_is_met_dropped_or_pending_every_day(run):
    ts = run.recorder.timeseries()
    assert len(ts) == run.cfg.days
    for g in GROUPS:
        arisen = ts[f"arisen_{g}"].to_numpy()
        assert (arisen > 0).any()
        accounted = ts[f"met_{g}"] + ts[f"dropped_{g}"] + ts[f"pending_{g}"]
        np.testing.assert_array_equal(arisen, accounted.to_numpy())
        assert (np.diff(arisen) >= 0).all() and (np.diff(ts[f"met_{g}"]) >= 0).all()


def test_open_needs_are_unique_and_in_exactly_one_queue(run):
    ledger = run.ledger
    queues = ledger.queues
    assert ((ledger.queue >= 0) & (ledger.queue < queues.count)).all()
    assert ledger.n_pending.sum() == len(ledger)
    # a citizen may hold several needs, but every record is one need: per-citizen
    # counts of open needs never exceed needs arisen minus needs met
    open_per_citizen = np.bincount(ledger.citizen, minlength=run.citizens.n)
    assert (open_per_citizen <= run.citizens.needs_arisen - run.citizens.needs_met).all()


def test_citizen_tallies_match_the_ledger(run):
    cit = run.citizens
    assert cit.needs_arisen.sum() == run.ledger.n_arisen.sum()
    assert cit.needs_met.sum() == run.ledger.n_met.sum()


def test_agency_counters_add_up(run):
    for agency in run.agency_list:
        assert agency.filler_total <= agency.posts_total
        assert agency.resolutions_total <= agency.replies_total
        if not agency.has_account:
            assert agency.posts_total == agency.replies_total == 0


def test_shares_and_beliefs_stay_in_range(run):
    ts = run.recorder.timeseries()
    for col in (
        "account_share",
        "ghost_share",
        "filler_share",
        "active_share",
        "needs_met_connected",
        "needs_met_excluded",
        "response_rate",
        "answer_rate",
        "gini_needs_met",
        "top5_post_share",
    ):
        values = ts[col].dropna()
        assert ((values >= 0) & (values <= 1)).all(), col
    assert ((ts["response_rate"].fillna(0)) <= ts["answer_rate"].fillna(0)).all()
    cit = run.citizens
    for column in (cit.efficacy, cit.trust, cit.expectation, cit.satisfaction):
        assert column.min() >= 0 and column.max() <= 1


def test_a_broken_ledger_is_caught():
    cfg = load_config(["population=classroom", "days=5"])
    model = GovSimModel(cfg)
    model.run()
    model.ledger.n_met[0] += 1  # a need counted twice
    with pytest.raises(AssertionError, match="not conserved"):
        model.ledger.check_conservation()


def test_published_outcome_names_match_a_run(run):
    from sim.outcomes import DAILY_OUTCOMES, SUMMARY_OUTCOMES

    assert tuple(run.recorder.timeseries().columns) == ("day", *DAILY_OUTCOMES)
    assert tuple(run.recorder.summary()) == SUMMARY_OUTCOMES


def test_the_model_stops_at_its_horizon():
    model = GovSimModel(load_config(["population=classroom", "days=3"]))
    assert model.running
    model.run()
    assert not model.running and model.day == 3
    with pytest.raises(RuntimeError, match="days=3"):
        model.step()


def test_only_the_connected_have_ever_posted(run):
    # the O(n) top-5 % histogram counts every excluded citizen in bin 0
    cit = run.citizens
    assert (cit.posts[~cit.connected] == 0).all()
    assert cit.posts[cit.connected].sum() > 0
