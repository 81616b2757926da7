"""State kept current from the day's changes equals the same state recomputed from scratch.

These structures exist for speed only (ODD, "Agents as views on column tables"): a
difference from the direct computation would be a silent change of the model.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim.network
from sim import kernels
from sim.api import load_config
from sim.citizens import Citizens
from sim.geography import Geography
from sim.needs import NeedLedger, Queues
from sim.network import ActiveNeighbours, complete_ties, district_ties, ties_from_edges
from sim.outcomes import TopShare
from sim.service import DELAY_CAP, AgencyDay, DayFlows, choose_channel, close_needs, route, serve


def _direct_top_share(posts: np.ndarray, top: float = 0.05) -> float:
    total = int(posts.sum())
    if total == 0:
        return 0.0
    n_top = int(np.ceil(top * len(posts)))
    return float(np.sort(posts)[len(posts) - n_top :].sum() / total)


def test_active_neighbours_equal_the_sparse_product_every_day() -> None:
    """The participation kernel's incremental tie counts, and its threshold on their share."""
    rng = np.random.default_rng(5)
    n = 3_000
    district = np.repeat(np.arange(3), n // 3)
    ties = district_ties(rng, np.array([0, 1000, 2000]), np.array([1000, 1000, 1000]), district, 6.0)
    tracker = ActiveNeighbours(ties)
    last_active = np.full(n, -(10**6))
    zero = np.zeros(n, dtype=np.float32)
    threshold = rng.random(n).astype(np.float32)
    one, nil = np.float32(1.0), np.float32(0.0)
    voice = rng.random(n).astype(np.float32)
    connected = rng.random(n) < 0.9
    for day in range(1, 120):
        active = last_active > day - 30
        spontaneous = np.sort(rng.integers(0, n, size=day % 4 * 5))  # repeats, and some already posting
        ids, v = kernels.stimulus_posting(
            last_active, day, 30, tracker.active, tracker.count, ties.indptr, ties.indices, ties.inverse_degree,
            zero, zero, zero, threshold, connected, one, nil, nil, nil, spontaneous, voice,
        )  # fmt: skip
        assert np.array_equal(tracker.count, ties.count_active(active))
        assert np.array_equal(tracker.active, active)
        share = ties.count_active(active).astype(np.float32) * ties.inverse_degree
        posting = connected & (share >= threshold)
        posting[spontaneous[connected[spontaneous]]] = True
        assert np.array_equal(ids, np.flatnonzero(posting))
        assert np.array_equal(v, voice[ids])
        # bursts and lulls: some days many citizens start, some days almost none
        rate = 0.2 if day % 17 == 0 else 0.01
        last_active[rng.random(n) < rate] = day


def _one_sort_csr(n: int, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The CSR as one stable sort of all tie ends (u->v, then v->u) by their near end."""
    keep = u != v
    src = np.concatenate([u[keep], v[keep]])
    dst = np.concatenate([v[keep], u[keep]])
    indices = dst[np.argsort(src, kind="stable")]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(src, minlength=n))])
    return indptr, indices


@pytest.mark.parametrize("block", [1, 7, 1000, 1 << 20])
def test_csr_built_by_blocks_equals_one_stable_sort_of_all_tie_ends(
    monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    monkeypatch.setattr(sim.network, "BLOCK_TIE_ENDS", block)
    rng = np.random.default_rng(11)
    n = 2_000
    u = rng.integers(0, n, 5_000)
    v = np.where(rng.random(5_000) < 0.05, u, rng.integers(0, n, 5_000))  # some self-loops, some repeats
    ties = ties_from_edges(n, u, v)
    indptr, indices = _one_sort_csr(n, u, v)
    assert np.array_equal(ties.indptr, indptr) and np.array_equal(ties.indices, indices)
    assert ties.indices.dtype == np.int32 and ties.indptr.dtype == np.int32
    full = complete_ties(40)
    assert np.array_equal(full.count_active(np.ones(40, dtype=bool)), np.full(40, 39))


def test_district_ties_drawn_by_chunks_equal_one_draw_of_all_edges(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sim.network, "CHUNK", 7)
    monkeypatch.setattr(sim.network, "BLOCK_TIE_ENDS", 50)
    start, size = np.array([0, 900, 1000]), np.array([900, 100, 1000])
    district = np.repeat(np.arange(3), size)
    ties = district_ties(np.random.default_rng(2), start, size, district, 5.0)
    rng = np.random.default_rng(2)  # the plain formula: every edge drawn at once
    m = int(round(len(district) * 5.0 / 2))
    u = rng.integers(0, len(district), size=m, dtype=np.int64).astype(np.int32)
    d = district[u]
    v = (start[d] + (rng.random(m) * size[d]).astype(np.int64)).astype(np.int32)
    indptr, indices = _one_sort_csr(len(district), u, v)
    assert np.array_equal(ties.indptr, indptr) and np.array_equal(ties.indices, indices)


def test_top_share_equals_a_full_sort_as_posts_grow_and_the_crowd_comes_online() -> None:
    rng = np.random.default_rng(9)
    n = 5_000
    posts = np.zeros(n, dtype=np.int32)
    connected = rng.random(n) < 0.6
    share = TopShare()
    for day in range(200):
        writers = connected & (rng.random(n) < 0.05)
        posts[writers] += 1 + rng.poisson(rng.lognormal(0, 2, writers.sum())).astype(np.int32)
        if day in (50, 120):  # inclusion: more citizens online, so the top group grows
            connected |= rng.random(n) < 0.2
        candidates = posts[posts >= share.cutoff]  # what the recorder's crowd pass hands over
        total = int(posts.sum(dtype=np.int64))
        assert share(posts, int(connected.sum()), total, candidates) == _direct_top_share(posts[connected])


def test_unfollowed_slot_counts_equal_a_recount_every_day() -> None:
    from sim.api import load_config
    from sim.model import GovSimModel

    # heavy churn and inclusion, so that slots are unfollowed, refollowed and new citizens come online
    model = GovSimModel(
        load_config(["population=classroom", "policy=comprehensive", "seed=4", "citizen.follow_churn=0.05"])
    )
    cit = model.citizens
    pad = cit.n_agencies
    for _ in range(150):
        model.step()
        recount = np.bincount(cit.home_agency[cit.follows_agency == pad], minlength=pad)
        assert np.array_equal(cit.unfollowed, recount)
    assert cit.unfollowed.sum() > 0


# --- the need ledger: routing the tail in place and serving the queue heads equal the plain rules ---
def _plain_route(cfg, ledger, citizens, today, coverage, day, rng, flows):  # type: ignore[no-untyped-def]
    """route() as the rules read: take every unrouted need out, pick its channel (the same rules), append it."""
    queues = ledger.queues
    mask = ledger.queue == queues.unrouted
    if not mask.any():
        return
    rec = ledger.take(mask)
    queue, assisted = choose_channel(cfg, rec, queues, citizens, today, coverage, rng, flows)
    ledger.resubmit(rec, queue, assisted, day)


def _online(queues: Queues, q: np.ndarray) -> np.ndarray:
    """The online queues: an agency's inbox, the hub, the void (misrouted)."""
    return (q < queues.office0) | (q == queues.hub) | (q == queues.void)


def _rank_in_queue(ledger: NeedLedger) -> np.ndarray:
    """Position of each record inside its queue, 0 = first come (ledger order), by a stable sort."""
    q = ledger.queue
    order = np.argsort(q, kind="stable")
    count = np.bincount(q, minlength=ledger.queues.count)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order)) - np.repeat(np.cumsum(count) - count, count)
    return rank


def _plain_serve(cfg, ledger, today, day, rng, flows):  # type: ignore[no-untyped-def]
    """serve() as the rules read: every rule a mask over the whole ledger."""
    queues = ledger.queues
    n_ag = queues.n_agencies
    q = ledger.queue
    rank = _rank_in_queue(ledger)
    inbox = q < queues.office0
    qa = np.where(inbox, q, 0)
    real = today.replies[qa]
    served_inbox = inbox & (rank < real + today.boilerplate[qa])
    p_inbox = today.clarity[qa] * np.where(rank < real, 1.0, cfg.agency.boilerplate_clarity_factor)
    office = (q >= queues.office0) & (q < queues.hub)
    served_office = office & (rank < today.office[np.where(office, q - queues.office0, 0)])
    served_hub = (q == queues.hub) & (rank < today.hub_capacity)
    served = served_inbox | served_office | served_hub
    p_resolve = np.where(
        served_inbox, p_inbox, np.where(served_office, cfg.citizen.offline_resolution, today.hub_clarity)
    )
    resolved = np.zeros(len(q), dtype=bool)
    idx = np.flatnonzero(served)
    resolved[idx] = rng.random(len(idx)) < p_resolve[idx]
    fwd = np.flatnonzero((q == queues.hub) & ~served_hub)
    if len(fwd):
        a = ledger.agency[fwd]
        right = rng.random(len(fwd)) < cfg.policy.integration.routing_accuracy
        ledger.queue[fwd] = np.where(right, np.where(today.has_account[a], a, queues.office0 + a), queues.void)
    answered = served_inbox | served_hub
    withdrawn = _online(queues, ledger.queue) & ~answered & (day - ledger.submitted >= cfg.citizen.retry_days)
    delay = day - ledger.submitted[answered]
    flows.answered += len(delay)
    flows.online_resolved += int((answered & resolved).sum())
    flows.answered_fast += int((delay <= cfg.metrics.response_days).sum())
    flows.delays += np.bincount(np.minimum(delay, DELAY_CAP), minlength=DELAY_CAP + 1)
    flows.online_ended += len(delay) + int(withdrawn.sum())
    flows.hub_replied += int(served_hub.sum())
    flows.replied += np.bincount(q[served_inbox], minlength=n_ag)
    flows.resolved += np.bincount(q[served_inbox & resolved], minlength=n_ag)
    flows.withdrawn += np.bincount(ledger.queue[withdrawn & (ledger.queue < queues.office0)], minlength=n_ag)
    ended = answered | withdrawn
    attempt_citizen, attempt_success = ledger.citizen[ended], resolved[ended]
    alone = (ledger.group == 1) & ~ledger.assisted
    patience = cfg.citizen.patience_days * np.where(alone, cfg.citizen.patience_ratio_excluded, 1.0)
    dropped = ~resolved & (day - ledger.arisen >= patience)
    ledger.queue[((served & ~resolved) | withdrawn) & ~dropped] = queues.unrouted
    rec = ledger.take(resolved | dropped)
    met = resolved[resolved | dropped]
    return close_needs(cfg, ledger, rec, met, day, flows, attempt_citizen, attempt_success)


def _same(a: object, b: object) -> bool:
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    return a == b


def _counts_are_the_records(ledger: NeedLedger) -> None:
    assert np.array_equal(ledger.n_pending, np.bincount(ledger.group, minlength=2))
    assert np.array_equal(ledger.queue_sizes(), np.bincount(ledger.queue, minlength=ledger.queues.count))


@pytest.mark.parametrize("hub", [False, True])
def test_ledger_routing_and_service_equal_the_plain_whole_ledger_rules(hub: bool) -> None:
    """Tail routing in place, queue heads, one compaction a day: the same flows, closed needs,
    attempts, random stream and ledger contents as the whole-ledger rules, day after day."""
    cfg = load_config(
        ["citizen.patience_days=9", "citizen.patience_ratio_excluded=0.5", "citizen.retry_days=2", "seed=1"]
    )
    n, k = 3_000, 24  # citizens, agencies
    rng = np.random.default_rng(7)
    citizens = Citizens(cfg, Geography(n, 1, 8), np.ones(5), rng)
    fast, plain = NeedLedger(Queues(k)), NeedLedger(Queues(k))
    rng_fast, rng_plain = np.random.default_rng(3), np.random.default_rng(3)
    for day in range(1, 61):
        m = int(rng.integers(50, 400))  # bursts fill queues, lulls let them drain
        who = rng.integers(0, n, m).astype(np.int32)
        group = (~citizens.connected[who]).astype(np.int8)
        agency = rng.integers(0, k, m).astype(np.int32)
        today = AgencyDay(
            has_account=rng.random(k) < 0.6,
            clarity=rng.random(k),
            substantive=np.zeros(k, dtype=np.int64),
            filler=np.zeros(k, dtype=np.int64),
            replies=rng.integers(0, 8, k),
            boilerplate=rng.integers(0, 3, k),
            office=rng.integers(0, 6, k),
            responsiveness=rng.random(k),
            hub_active=hub,
            hub_capacity=int(rng.integers(0, 60)) if hub else 0,
            hub_clarity=0.4 if hub else 0.0,
        )
        results = []
        for ledger, r, route_fn, serve_fn in (
            (fast, rng_fast, route, serve),
            (plain, rng_plain, _plain_route, _plain_serve),
        ):
            ledger.add(who, group, group, agency, day)
            _counts_are_the_records(ledger)  # stale counts are not read: counted afresh
            flows = DayFlows(k)
            route_fn(cfg, ledger, citizens, today, 0.5, day, r, flows)
            closed = serve_fn(cfg, ledger, today, day, r, flows)
            _counts_are_the_records(ledger)  # the service pass's counts (the fast ledger)
            ledger.check_conservation()
            results.append((vars(flows), vars(closed)))
        (fa, ca), (fb, cb) = results
        assert all(_same(fa[key], fb[key]) for key in fa), day
        assert all(_same(ca[key], cb[key]) for key in ca), day
        # the ledgers hold the same records (the returned ones wait at the end of the fast one)
        order_a = np.lexsort([fast.cols[c] for c in fast.cols])
        order_b = np.lexsort([plain.cols[c] for c in plain.cols])
        assert all(np.array_equal(fast.cols[c][order_a], plain.cols[c][order_b]) for c in fast.cols)
        assert rng_fast.random() == rng_plain.random()
    assert fast.n_dropped.sum() > 0 and fast.n_met.sum() > 0


@pytest.mark.parametrize("policy", ["quota", "comprehensive"])
def test_a_sparse_recording_cadence_records_the_same_outcomes_on_its_days(policy: str) -> None:
    """The recorder feeds no rule: recording every 7th day gives, on those days, the daily run's outcomes
    (and the same summary), and always records the summary's year marks and the last day."""
    from sim.api import run_simulation

    cfg = load_config([f"policy={policy}", "days=740", "population.n_citizens=1500", "seed=11"])
    daily, weekly = run_simulation(cfg), run_simulation(cfg, record_every=7)
    days = weekly.timeseries["day"].tolist()
    assert days == sorted({*range(7, 741, 7), 365, 730, 740})
    expected = daily.timeseries.set_index("day").loc[days].reset_index()
    assert expected.equals(weekly.timeseries)  # NaN where NaN, every other value equal
    assert daily.summary.keys() == weekly.summary.keys()
    assert all(np.array_equal(daily.summary[k], weekly.summary[k], equal_nan=True) for k in daily.summary)
    with pytest.raises(ValueError, match="invalid record_every=0; allowed: a whole number >= 1"):
        run_simulation(cfg, record_every=0)


def test_the_unrouted_tail_is_found_only_when_the_unrouted_needs_are_exactly_the_tail() -> None:
    queues = Queues(4)
    ledger = NeedLedger(queues)
    ledger.add(np.arange(6, dtype=np.int32), np.zeros(6, np.int8), np.zeros(6, np.int8), np.zeros(6, np.int32), 1)
    ledger.route_tail(0, np.array([0, 1, 2, 3, 0, 1]), np.zeros(6, bool), 1)  # all routed
    assert ledger.unrouted_tail() == 6  # an empty tail
    ledger.add(np.arange(3, dtype=np.int32), np.zeros(3, np.int8), np.zeros(3, np.int8), np.zeros(3, np.int32), 2)
    assert ledger.unrouted_tail() == 6
    ledger.cols["queue"][2] = queues.unrouted  # an unrouted need inside the ledger
    assert ledger.unrouted_tail() is None
    ledger.cols["queue"][2] = 2
    ledger.cols["queue"][7] = 1  # a routed need in the tail
    assert ledger.unrouted_tail() is None
    ledger.cols["queue"][7] = queues.unrouted
    ledger.unrouted_from = 10  # beyond the ledger
    assert ledger.unrouted_tail() is None
