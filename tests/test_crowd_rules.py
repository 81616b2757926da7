"""The crowd's and the need ledger's compiled rules equal the rules as they read, bit for bit.

Commit ed82849 replaced the numpy bodies of the citizens', the service's and the ledger's
daily rules with compiled loops (sim/_jit.py, through sim/kernels.py); the committed results
were made with the numpy expressions, so the kernels must compute exactly what those computed.
Here each rule is written out as it read before (commit 86ddda4) and is the oracle, but for the
feed's saturation, whose expm1 since fdd9710 is the float32 of the double expm1 (glibc's expm1f, which
86ddda4 called, misses it on some inputs); the last test checks that expm1 kernel itself.

A real model runs; every call it makes to a public rule (Citizens.participate, hear, churn,
learn_from_attempts, experience; GovSimModel._exposure; sim.service.choose_channel, serve,
close_needs; NeedLedger.settle; the Recorder's crowd outcomes and sim.outcomes.gini_of_shares)
is checked as it happens: the oracle runs on copies of the state and of the random generator,
and every output and every mutated array (values and dtype) and the generator's final state
must be identical; the model goes on with the production result. These tests call the rules,
never the kernels, so they hold whatever the kernels' internals and signatures become.

The cases switch the rules' code paths (credibility learning off, days with and without
leaders' criticism, misrouting without a hub and routing through one, assisted coverage, no
and heavy follow churn, each audit metric, a classroom and a 3,000-citizen city), and each
asserts that its days took the paths it is there for; the whole file runs in ~10 s.
"""

from __future__ import annotations

import collections
import copy
import dataclasses
import math

import numba
import numpy as np
import pytest

import sim.model
import sim.service
from sim import kernels
from sim._jit import _expm1f
from sim.api import load_config
from sim.citizens import Citizens, Feed
from sim.config import SimConfig
from sim.model import GovSimModel
from sim.needs import NeedLedger, Queues
from sim.outcomes import FLOWS, gini_of_shares
from sim.service import DELAY_CAP, Closed


# --- the rules as they read (86ddda4) ------------------------------------------------------------------
def _saturate(x: np.ndarray) -> np.ndarray:
    """1 - exp(-x) in place, value by value: float32 of the double expm1, the rule's function on every CPU
    (numpy's array expm1 takes a SIMD path of its own on AVX-512 CPUs; glibc's expm1f misses the nearest
    float32 on some inputs)."""
    x[:] = [-math.expm1(-v) for v in x.tolist()]
    return x


def _gather_sum(table: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Sum over follow slots of table[follow], slot by slot."""
    out = np.take(table, rows[0], axis=0)
    for row in rows[1:]:
        out += np.take(table, row, axis=0)
    return out


def exposure_as_read(model: GovSimModel) -> Feed:
    cfg, cit, t, ag = model.cfg, model.citizens, model.today, model.agencies
    credibility = np.append(np.where(ag.has_account, ag.credibility(cfg), np.nan), np.nan).astype(np.float32)
    has_account = ~np.isnan(credibility)
    accounts = np.stack(
        [
            np.append((t.substantive + cfg.agency.filler_value * t.filler) * t.clarity, 0.0),
            np.append(t.substantive + t.filler, 0),
            np.where(has_account, credibility, np.float32(0.0)),
            has_account,
        ],
        axis=1,
    ).astype(np.float32)
    relays = np.append(model.leaders.relays, 0).astype(np.float32)
    crit = np.append(model.leaders.criticisms, 0).astype(np.float32)
    leaders = np.stack([relays * np.float32(cfg.leader.relay_weight), relays, crit], axis=1)
    followed = _gather_sum(accounts, cit.follows_agency)
    relayed = _gather_sum(leaders, cit.follows_leader)
    heard = followed[:, 0] + relayed[:, 0]
    feed = followed[:, 1] + relayed[:, 1]
    attention = np.float32(cfg.citizen.attention_items)
    np.maximum(feed, attention, out=feed)
    np.divide(attention, feed, out=feed)
    np.minimum(np.float32(1.0), feed, out=feed)
    heard *= feed
    _saturate(heard)
    criticised = _saturate(np.ascontiguousarray(relayed[:, 2])) if crit.any() else None
    # accounts followed: a count of slots, kept in the narrowest type that holds k (the values are the rule's)
    n_followed = followed[:, 3].astype(np.min_scalar_type(cit.follows_agency.shape[0]))
    return Feed(heard, criticised, credibility, followed[:, 2], n_followed)


def _active_fraction(cit: Citizens, active: np.ndarray) -> np.ndarray:
    """ActiveNeighbours.fraction: update the active-tie counts from the changed, share of ties active."""
    act = cit.active_ties
    changed = np.flatnonzero(active != act.active)
    if len(changed):
        neighbour, pos = act.ties.neighbours(changed)
        step = np.where(active[changed], 1, -1).astype(np.int32)
        np.add.at(act.count, neighbour, step[pos])
        np.copyto(act.active, active)
    return act.count.astype(np.float32) * act.ties.inverse_degree


def participate_as_read(cit: Citizens, cfg: SimConfig, day: int, heard: np.ndarray, rng) -> np.ndarray:  # type: ignore[no-untyped-def]
    c = cfg.citizen
    recent = cit.last_active > day - cfg.metrics.window_days
    stimulus = _active_fraction(cit, recent)
    stimulus *= np.float32(c.weight_social)
    stimulus += np.float32(c.weight_exposure) * heard
    stimulus += np.float32(c.weight_efficacy) * cit.efficacy
    stimulus += np.float32(c.weight_trust) * cit.trust
    posting = cit.connected & (stimulus >= cit.threshold)
    k = rng.binomial(cit.n, c.spontaneous_rate)
    spontaneous = rng.integers(0, cit.n, size=k)
    posting[spontaneous[cit.connected[spontaneous]]] = True
    ids = np.flatnonzero(posting)
    cit.last_active[ids] = day
    cit.posts[ids] += 1 + rng.poisson(cit.voice[ids]).astype(np.int32)
    return ids


def hear_as_read(cit: Citizens, cfg: SimConfig, feed: Feed) -> None:
    c = cfg.citizen
    change = np.float32(c.trust_relay_gain) * feed.heard * (1.0 - cit.trust)
    if feed.criticised is not None:
        change -= np.float32(c.trust_criticism_loss) * feed.criticised * cit.trust
    if c.credibility_learning > 0:
        count = feed.accounts_followed
        pull = np.maximum(count, 1).astype(np.float64)
        np.divide(feed.credibility_sum, pull, out=pull)
        pull -= cit.trust
        pull *= np.float32(c.credibility_learning)
        pull[count == 0] = 0.0
        change += pull
    change *= cit.connected
    cit.trust += change
    np.clip(cit.trust, 0.0, 1.0, out=cit.trust)


def churn_as_read(cit: Citizens, cfg: SimConfig, credibility: np.ndarray, rng) -> None:  # type: ignore[no-untyped-def]
    rate = cfg.citizen.follow_churn
    if rate == 0:
        return
    k, n = cit.home_agency.shape
    slots = rng.integers(0, k * n, size=rng.binomial(k * n, rate))
    slot, who = np.divmod(slots, n)
    agency = cit.home_agency[slot, who]
    cred = credibility[agency]
    open_ = ~np.isnan(cred) & cit.connected[who]
    keep = rng.random(len(slots)) < np.where(open_, cred, 1.0)
    unique = np.unique(slots)
    u_slot, u_who = np.divmod(unique, n)
    before = cit.follows_agency[u_slot, u_who] == cit.n_agencies
    cit.follows_agency[slot, who] = np.where(keep | ~open_, agency, cit.n_agencies)
    change = (cit.follows_agency[u_slot, u_who] == cit.n_agencies).astype(np.int64) - before
    home = cit.home_agency[u_slot, u_who]
    cit.unfollowed += np.bincount(home, weights=change, minlength=cit.n_agencies).astype(np.int64)


def learn_as_read(cit: Citizens, cfg: SimConfig, citizen: np.ndarray, success: np.ndarray) -> None:
    if len(citizen) == 0:
        return
    e = cit.efficacy
    delta = cfg.citizen.efficacy_learning * (success.astype(np.float32) - e[citizen])
    np.add.at(e, citizen, delta)
    e[citizen] = np.clip(e[citizen], 0.0, 1.0)


def experience_as_read(cit: Citizens, cfg: SimConfig, citizen: np.ndarray, quality: np.ndarray) -> None:
    if len(citizen) == 0:
        return
    c = cfg.citizen
    q = quality.astype(np.float32)
    x = cit.expectation[citizen]
    felt = np.clip(0.5 + q - x, 0.0, 1.0)
    np.add.at(cit.satisfaction, citizen, c.satisfaction_learning * (felt - cit.satisfaction[citizen]))
    np.add.at(cit.trust, citizen, c.trust_learning * (felt - cit.trust[citizen]))
    np.add.at(cit.efficacy, citizen, c.satisfaction_feedback * (felt - cit.efficacy[citizen]))
    ratchet = c.expectation_up * np.maximum(q - x, 0) - c.expectation_down * np.maximum(x - q, 0)
    np.add.at(cit.expectation, citizen, ratchet)
    for col in (cit.trust, cit.satisfaction, cit.expectation, cit.efficacy):
        col[citizen] = np.clip(col[citizen], 0.0, 1.0)


def choose_channel_as_read(cfg, rec, queues, citizens, today, assisted_coverage, rng, flows):  # type: ignore[no-untyped-def]
    c, a, group = rec["citizen"], rec["agency"], rec["group"]
    cc = cfg.citizen
    u = rng.random((2, len(c)))
    connected = citizens.connected[c]
    covered = ~connected & (citizens.assist_draw[c] < assisted_coverage)
    reachable = today.hub_active | today.has_account[a]
    tilt = 1.0 + cc.trust_channel_weight * (2.0 * citizens.trust[c] - 1.0)  # Citizens.channel_propensity
    propensity = np.where(connected, np.minimum(1.0, citizens.efficacy[c] * tilt), today.responsiveness[a])
    online = reachable & (connected | covered) & (u[0] < propensity)
    assisted = covered & online
    skill = np.where(connected, citizens.digital_skill[c], 1.0)
    misrouted = online & (not today.hub_active) & (u[1] < cc.misroute_prob * (1.0 - skill))
    queue = np.where(online, np.where(today.hub_active, queues.hub, a), queues.office0 + a)
    queue[misrouted] = queues.void
    cost = np.where(
        online,
        np.where(connected, cc.cost_online, cc.cost_assisted),
        np.where(connected, cc.cost_offline_connected, cc.cost_offline_excluded),
    )
    flows.burden += np.bincount(group, weights=cost, minlength=2)
    flows.online_routed += int(online.sum())
    flows.misrouted += int(misrouted.sum())
    return queue, assisted


class PlainLedger:
    """A need ledger as plain columns: what the oracles read and write."""

    def __init__(self, ledger: NeedLedger) -> None:
        self.queues = ledger.queues
        self.cols = {k: v.copy() for k, v in ledger.cols.items()}
        self.n_arisen, self.n_met, self.n_dropped = (
            x.copy() for x in (ledger.n_arisen, ledger.n_met, ledger.n_dropped)
        )
        self.unrouted_from = ledger.unrouted_from


def settle_as_read(plain: PlainLedger, closed: np.ndarray, back: np.ndarray) -> dict[str, np.ndarray]:
    out = {k: v[closed] for k, v in plain.cols.items()}
    keep = np.ones(len(plain.cols["queue"]), dtype=bool)
    keep[closed] = False
    keep[back] = False
    plain.cols = {k: np.concatenate([v[keep], v[back]]) for k, v in plain.cols.items()}
    size = len(plain.cols["queue"])
    plain.cols["queue"][size - len(back) :] = plain.queues.unrouted
    plain.unrouted_from = size - len(back)
    return out


def close_needs_as_read(cfg, plain, rec, met, day, flows, attempt_citizen, attempt_success):  # type: ignore[no-untyped-def]
    group = rec["group"]
    plain.n_met += np.bincount(group[met], minlength=2)  # NeedLedger.close
    plain.n_dropped += np.bincount(group[~met], minlength=2)
    wait = (day - rec["arisen"]).astype(np.float64)
    # C's pow, value by value (numpy's array power takes a SIMD path of its own on AVX-512 CPUs)
    decayed = np.array([0.5 ** (w / cfg.citizen.quality_half_life) for w in wait.tolist()], dtype=np.float64)
    quality = np.where(met, decayed, 0.0)
    flows.met += np.bincount(group[met], minlength=2)
    flows.dropped += np.bincount(group[~met], minlength=2)
    flows.met_cohort += np.bincount(rec["cohort"][met], minlength=2)
    flows.dropped_cohort += np.bincount(rec["cohort"][~met], minlength=2)
    flows.wait_days += np.bincount(group[met], weights=wait[met], minlength=2)
    flows.quality += float(quality.sum())
    return Closed(rec["citizen"], quality, met, attempt_citizen, attempt_success)


def _slots(x):  # type: ignore[no-untyped-def]
    x = np.asarray(x)
    if x.dtype.kind in "iub":
        return np.maximum(x, 0).astype(np.int64)
    return np.where(x > 0, np.ceil(np.minimum(x, 2.0**62)), 0).astype(np.int64)


def _heads(plain: PlainLedger, slots: np.ndarray):  # type: ignore[no-untyped-def]
    """NeedLedger.heads and by_queue: the first slots[q] records of each queue, and the queues' order."""
    q = plain.cols["queue"]
    order = np.argsort(q.astype(np.int16), kind="stable")
    count = np.bincount(q, minlength=plain.queues.count)
    start = np.cumsum(count) - count
    n = len(slots)
    k = np.minimum(slots, count[:n])
    first = np.cumsum(k) - k
    rank = np.arange(int(k.sum())) - np.repeat(first, k)
    pos = order[np.repeat(start[:n], k) + rank]
    sort = np.argsort(pos)
    return pos[sort], rank[sort], order, start, count


def serve_as_read(cfg, plain, today, day, rng, flows):  # type: ignore[no-untyped-def]
    queues = plain.queues
    L = plain.cols
    n_ag = queues.n_agencies
    slots = np.zeros(queues.count, dtype=np.int64)
    slots[:n_ag] = _slots(today.replies + today.boilerplate)
    slots[queues.office0 : queues.hub] = _slots(today.office)
    slots[queues.hub] = _slots(today.hub_capacity)
    idx, rank, order, start, count = _heads(plain, slots)
    q = L["queue"]
    qs = q[idx]
    s_inbox = qs < queues.office0
    s_office = (qs >= queues.office0) & (qs < queues.hub)
    s_hub = qs == queues.hub
    qa = np.where(s_inbox, qs, 0)
    boiler = cfg.agency.boilerplate_clarity_factor
    p_inbox = today.clarity[qa] * np.where(rank < today.replies[qa], 1.0, boiler)
    p_resolve = np.where(s_inbox, p_inbox, np.where(s_office, cfg.citizen.offline_resolution, today.hub_clarity))
    resolved = rng.random(len(idx)) < p_resolve

    hub_mail = order[start[queues.hub] : start[queues.hub] + count[queues.hub]]
    fwd = hub_mail[int(slots[queues.hub]) :]  # service._forward
    if len(fwd):
        a = L["agency"][fwd]
        right = rng.random(len(fwd)) < cfg.policy.integration.routing_accuracy
        target = np.where(today.has_account[a], a, queues.office0 + a)
        q[fwd] = np.where(right, target, queues.void)

    answered = s_inbox | s_hub
    answered_idx = idx[answered]
    stale = (q < queues.office0) | (q == queues.hub) | (q == queues.void)
    stale &= day - L["submitted"] >= cfg.citizen.retry_days
    stale[answered_idx] = False
    withdrawn_idx = np.flatnonzero(stale)

    delay = day - L["submitted"][answered_idx]
    flows.answered += len(delay)
    flows.online_resolved += int(resolved[answered].sum())
    flows.answered_fast += int((delay <= cfg.metrics.response_days).sum())
    flows.delays += np.bincount(np.minimum(delay, DELAY_CAP), minlength=DELAY_CAP + 1)
    flows.online_ended += len(delay) + len(withdrawn_idx)
    flows.hub_replied += int(s_hub.sum())
    flows.replied += np.bincount(qs[s_inbox], minlength=n_ag)
    flows.resolved += np.bincount(qs[s_inbox & resolved], minlength=n_ag)
    qw = q[withdrawn_idx]
    flows.withdrawn += np.bincount(qw[qw < queues.office0], minlength=n_ag)

    ended = np.concatenate([answered_idx, withdrawn_idx])
    ended_order = np.argsort(ended, kind="stable")
    attempt_citizen = L["citizen"][ended[ended_order]]
    attempt_success = np.concatenate([resolved[answered], np.zeros(len(withdrawn_idx), dtype=bool)])[ended_order]

    c = cfg.citizen
    age = day - L["arisen"]
    floor = [p for p in (c.patience_days * c.patience_ratio_excluded, c.patience_days * 1.0) if p == p]
    old = np.flatnonzero(age >= min(floor)) if floor else np.zeros(0, dtype=np.int64)
    alone = (L["group"][old] == 1) & ~L["assisted"][old]
    patience = c.patience_days * np.where(alone, c.patience_ratio_excluded, 1.0)
    gone = np.zeros(len(q), dtype=bool)
    gone[idx[resolved]] = True
    dropped_idx = old[~gone[old] & (day - L["arisen"][old] >= patience)]
    gone[dropped_idx] = True
    back = np.concatenate([idx[~resolved], withdrawn_idx])
    back = np.sort(back[~gone[back]])

    closing = np.concatenate([idx[resolved], dropped_idx])
    closing_order = np.argsort(closing, kind="stable")
    met = np.concatenate([np.ones(int(resolved.sum()), dtype=bool), np.zeros(len(dropped_idx), dtype=bool)])
    met = met[closing_order]
    rec = settle_as_read(plain, closing[closing_order], back)
    return close_needs_as_read(cfg, plain, rec, met, day, flows, attempt_citizen, attempt_success)


def gini_as_read(met: np.ndarray, arisen: np.ndarray) -> float:
    base = int(arisen.max(initial=0)) + 1
    if base == 1:
        return 0.0
    counts = np.bincount(arisen * np.int32(base) + met, minlength=base * base)
    counts[:base] = 0
    keys = np.flatnonzero(counts)
    weight = counts[keys].astype(np.float64)
    share = (keys % base) / (keys // base)
    order = np.argsort(share, kind="stable")
    x, w = share[order], weight[order]
    total = float((x * w).sum())
    if total == 0:
        return 0.0
    lorenz = np.cumsum(x * w) / total
    prev = np.concatenate(([0.0], lorenz[:-1]))
    return float(1.0 - (w * (prev + lorenz)).sum() / w.sum())


def _pairs(met: np.ndarray, arisen: np.ndarray) -> np.ndarray:
    """The table pairs[arisen, met] of citizen counts that gini_of_shares reads (the recorder's crowd pass
    counts it), here by np.bincount."""
    base = int(arisen.max(initial=0)) + 1
    return np.bincount(arisen.astype(np.int64) * base + met, minlength=base * base).reshape(base, base)


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den > 0 else float("nan")


def crowd_outcomes_as_read(model: GovSimModel, day: int, window: int) -> dict[str, float]:
    cit = model.citizens
    n_conn = int(cit.connected.sum())
    rec = model.recorder
    sums, _ = kernels.window_sums(  # the window's flow sums (not a crowd rule)
        rec.flow_table, max(1, day - window + 1), day + 1, rec.delays
    )
    w = dict(zip(FLOWS, sums.tolist(), strict=True))
    posts = cit.posts
    total = int(posts.sum())
    n_top = int(np.ceil(0.05 * n_conn))
    top5 = float(np.sort(posts)[len(posts) - n_top :].sum() / total) if total else 0.0  # only the connected post
    return {
        "connected_share": n_conn / cit.n,
        "active_share": _ratio(int(np.count_nonzero(cit.last_active > day - model.cfg.metrics.window_days)), n_conn),
        "ever_posted_share": _ratio(int(np.count_nonzero(cit.posts)), n_conn),
        "top5_post_share": top5,
        "mean_efficacy": float(cit.efficacy.mean()),
        "mean_trust": float(cit.trust.mean()),
        "mean_satisfaction": float(cit.satisfaction.mean()),
        "expectation_gap": float(cit.expectation.mean()) - _ratio(w["quality"], w["closed"]),
        "gini_needs_met": gini_as_read(cit.needs_met, cit.needs_arisen),
    }


# --- comparing the production run with the oracle, call by call ----------------------------------------
def _twin(x: object) -> object:
    """What the oracle gets: its own copy of every state and generator (config and queue ids are read-only)."""
    if isinstance(x, SimConfig | Queues):
        return x
    if isinstance(x, NeedLedger):
        return PlainLedger(x)
    return copy.deepcopy(x)


def _citizen_state(cit: Citizens) -> dict[str, np.ndarray]:
    state = {k: v for k, v in vars(cit).items() if isinstance(v, np.ndarray)}
    state["active_ties.active"] = cit.active_ties.active
    state["active_ties.count"] = cit.active_ties.count
    return state


def assert_same(a: object, b: object, where: str) -> None:
    """Production `a` equals oracle `b`: arrays in dtype, shape and every bit (NaN = NaN), scalars in type too."""
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray), where
        assert a.dtype == b.dtype, f"{where}: dtype {a.dtype} != {b.dtype}"
        assert a.shape == b.shape, f"{where}: shape {a.shape} != {b.shape}"
        assert np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"), f"{where}: values differ"
        if a.dtype.kind == "f":  # and the sign of every zero
            number = ~np.isnan(a)
            assert np.array_equal(np.signbit(a[number]), np.signbit(b[number])), f"{where}: signs differ"
    elif isinstance(a, np.random.Generator):
        assert a.bit_generator.state == b.bit_generator.state, f"{where}: random streams differ"
    elif isinstance(a, NeedLedger):
        assert isinstance(b, PlainLedger) and set(a.cols) == set(b.cols), where
        for k in a.cols:
            assert_same(a.cols[k], b.cols[k], f"{where}.{k}")
        for k in ("n_arisen", "n_met", "n_dropped"):
            assert_same(getattr(a, k), getattr(b, k), f"{where}.{k}")
        assert a.unrouted_from == b.unrouted_from, f"{where}.unrouted_from"
    elif isinstance(a, Citizens):
        sa, sb = _citizen_state(a), _citizen_state(b)
        assert set(sa) == set(sb), where
        for k in sa:
            assert_same(sa[k], sb[k], f"{where}.{k}")
    elif dataclasses.is_dataclass(a):
        assert type(a) is type(b), where
        for f in dataclasses.fields(a):
            assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, dict):
        assert set(a) == set(b), f"{where}: keys differ"
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k}]")
    elif isinstance(a, tuple | list):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and a != a:
        assert isinstance(b, float) and b != b, f"{where}: {a} != {b}"
    else:
        assert type(a) is type(b) and a == b, f"{where}: {a!r} != {b!r}"


def checked(name: str, production, oracle, seen: collections.Counter, state=None, tally=None):  # type: ignore[no-untyped-def]
    """`production` with each call compared to `oracle(*copies)`: result, every argument after the call
    (mutated state and generators) and `state` (an object both sides mutate: the citizens).
    `tally(result, *args)` counts which paths the call took."""

    def call(*args):  # type: ignore[no-untyped-def]
        twins = [_twin(x) for x in args]
        twin_state = _twin(state) if state is not None else None
        result = production(*args)
        expected = oracle(*twins) if state is None else oracle(twin_state, *twins)
        assert_same(result, expected, f"{name} -> result")
        for i, (x, y) in enumerate(zip(args, twins, strict=True)):
            if not isinstance(x, SimConfig | Queues):
                assert_same(x, y, f"{name} arg {i}")
        if state is not None:
            assert_same(state, twin_state, f"{name} state")
        seen[name] += 1
        if tally is not None:
            seen.update(tally(result, *args))
        return result

    return call


def run_checked(overrides: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[GovSimModel, collections.Counter]:
    """Run a model with every crowd and ledger rule call checked against its oracle; count what happened."""
    model = GovSimModel(load_config(overrides))
    seen: collections.Counter = collections.Counter()
    cit = model.citizens
    for name, oracle in [
        ("participate", participate_as_read),
        ("hear", hear_as_read),
        ("churn", churn_as_read),
        ("learn_from_attempts", learn_as_read),
        ("experience", experience_as_read),
    ]:
        setattr(cit, name, checked(name, getattr(cit, name), oracle, seen, state=cit))
    ledger = model.ledger

    production_settle = ledger.settle

    def settle(closed: np.ndarray, back: np.ndarray, pending: np.ndarray, sizes: np.ndarray) -> dict[str, np.ndarray]:
        plain = PlainLedger(ledger)
        expected = settle_as_read(plain, closed.copy(), back.copy())
        result = production_settle(closed, back, pending, sizes)
        assert_same(result, expected, "settle -> result")
        assert_same(ledger, plain, "settle ledger")
        # the counts the service pass made are kept, and are the ones the settled records give
        assert ledger._fresh("group") is not None and ledger._fresh("queue") is not None
        assert_same(ledger.n_pending, np.bincount(plain.cols["group"], minlength=2), "pending counts")
        assert_same(ledger.queue_sizes(), np.bincount(plain.cols["queue"], minlength=ledger.queues.count), "sizes")
        seen["settle"] += 1
        return result

    ledger.settle = settle  # type: ignore[method-assign]
    monkeypatch.setattr(
        sim.service,
        "choose_channel",
        checked("choose_channel", sim.service.choose_channel, choose_channel_as_read, seen, tally=_channel_tally),
    )
    monkeypatch.setattr(
        sim.service, "close_needs", checked("close_needs", sim.service.close_needs, close_needs_as_read, seen)
    )
    monkeypatch.setattr(
        sim.model, "serve", checked("serve", sim.service.serve, serve_as_read, seen, tally=_serve_tally)
    )

    production_exposure = model._exposure

    def exposure() -> Feed:
        expected = exposure_as_read(model)
        feed = production_exposure()
        assert_same(feed, expected, "_exposure")
        seen["_exposure"] += 1
        seen["criticism days" if feed.criticised is not None else "quiet days"] += 1
        return feed

    model._exposure = exposure  # type: ignore[method-assign]
    production_record = model.recorder.record

    def record(day: int) -> None:
        expected = crowd_outcomes_as_read(model, day, model.cfg.metrics.window_days)  # before TopShare moves
        production_record(day)
        out = model.recorder.latest()
        assert_same({k: out[k] for k in expected}, expected, f"outcomes day {day}")
        assert_same(
            gini_of_shares(_pairs(model.citizens.needs_met, model.citizens.needs_arisen)),
            expected["gini_needs_met"],
            "gini",
        )
        seen["outcomes"] += 1

    model.recorder.record = record  # type: ignore[method-assign]
    model.run()
    seen["unfollowed"] = int(cit.unfollowed.sum())
    return model, seen


def _channel_tally(result, cfg, rec, queues, citizens, today, coverage, rng, flows) -> dict[str, int]:  # type: ignore[no-untyped-def]
    queue, assisted = result
    return {
        "routed": len(queue),
        "routed to the hub": int(np.count_nonzero(queue == queues.hub)),
        "misrouted": int(np.count_nonzero(queue == queues.void)),
        "assisted": int(np.count_nonzero(assisted)),
    }


def _serve_tally(result, cfg, ledger, today, day, rng, flows) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {
        "boilerplate offered": int(today.boilerplate.sum()),
        "hub replied": flows.hub_replied,
        "met": int(np.count_nonzero(result.met)),
        "dropped": int(np.count_nonzero(~result.met)),
        "attempts": len(result.attempt_citizen),
    }


CLASSROOM = ["population=classroom", "seed=5", "days=300"]
# each case: its overrides, the paths its days must have taken (counts > 0) and those they must not (= 0)
CASES = {
    "classroom": (CLASSROOM, {"criticism days", "quiet days", "misrouted", "unfollowed"}, {"routed to the hub"}),
    "no-credibility-learning": ([*CLASSROOM, "citizen.credibility_learning=0"], {"criticism days"}, set()),
    "no-criticism": ([*CLASSROOM, "leader.criticism_prob=0"], {"quiet days"}, {"criticism days"}),
    "hub": (
        [*CLASSROOM, "policy=integration", "policy.integration.start_day=40"],
        {"misrouted", "routed to the hub"},  # misrouting before the hub opens, routing after
        set(),
    ),
    "assisted": ([*CLASSROOM, "policy=inclusion"], {"assisted"}, set()),
    "no-churn": ([*CLASSROOM, "citizen.follow_churn=0"], set(), {"unfollowed"}),
    "heavy-churn": ([*CLASSROOM, "citizen.follow_churn=0.05"], {"unfollowed"}, set()),
    "audit-posts": ([*CLASSROOM, "policy.audit.metric=posts", "policy.audit.quota=20"], set(), {"boilerplate offered"}),
    "audit-replies": (
        [*CLASSROOM, "policy.audit.metric=replies", "policy.audit.quota=20"],
        {"boilerplate offered"},
        set(),
    ),
    "audit-resolutions": ([*CLASSROOM, "policy.audit.metric=resolutions", "policy.audit.quota=20"], set(), set()),
    "city-3000": (
        ["population.n_citizens=3000", "seed=6", "days=200", "policy=comprehensive", "policy.integration.start_day=30"],
        {"hub replied", "routed to the hub", "misrouted", "assisted", "criticism days"},
        set(),
    ),
}
RULES = (
    "_exposure", "participate", "hear", "churn", "choose_channel", "serve", "settle", "close_needs",
    "learn_from_attempts", "experience", "outcomes",
)  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_crowd_and_ledger_rules_equal_the_rules_as_they_read(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    overrides, taken, not_taken = CASES[case]
    model, seen = run_checked(overrides, monkeypatch)
    days = model.cfg.days
    assert all(seen[rule] == days for rule in RULES), seen  # every rule checked every day
    assert all(seen[path] > 0 for path in {"met", "dropped", "attempts", *taken}), seen
    assert all(seen[path] == 0 for path in not_taken), seen


def test_gini_of_shares_equals_the_rule_as_it_reads() -> None:
    rng = np.random.default_rng(4)
    for n, top in [(1, 0), (50, 0), (50, 1), (1000, 3), (5000, 40)]:
        arisen = rng.integers(0, top + 1, n).astype(np.int32)
        for met in (np.zeros(n, np.int32), arisen, np.minimum(arisen, rng.integers(0, top + 1, n)).astype(np.int32)):
            assert_same(gini_of_shares(_pairs(met, arisen)), gini_as_read(met, arisen), f"gini n={n} top={top}")
    for k in range(300):  # random tables up to ~1,800 (arisen, met) pairs: the pairwise sums past one block
        top = int(rng.integers(1, 60))
        arisen = rng.integers(0, top + 1, int(rng.integers(1, 4000))).astype(np.int32)
        met = (arisen * rng.random(len(arisen)) ** rng.uniform(0.2, 5)).astype(np.int32)
        assert_same(gini_of_shares(_pairs(met, arisen)), gini_as_read(met, arisen), f"gini random table {k}")


@numba.njit
def _expm1f_each(x: np.ndarray) -> np.ndarray:
    out = np.empty_like(x)
    for i in range(len(x)):
        out[i] = _expm1f(x[i])
    return out


def test_the_feeds_expm1_is_the_float32_of_the_double_expm1() -> None:
    """sim/_jit.py: _expm1f against float32(math.expm1(x)), bit for bit: on the edges, on 1,000,000 float32s
    drawn bit pattern by bit pattern (every magnitude), and on 50,000 in each binade where the result is
    neither x nor -1 nor inf, 2**-26 to 64 on either side (an exhaustive pass over every float32 below 89,
    3.3e9 of them, found no difference)."""
    rng = np.random.default_rng(9)
    f32 = np.finfo(np.float32)
    edges = [0.0, -0.0, np.nan, np.inf, -np.inf, f32.max, -f32.max, f32.tiny, -f32.tiny, f32.smallest_subnormal,
             -f32.smallest_subnormal, -20.0, -17.33, -17.34, 88.72, 88.73, 89.0, 1e30, *np.arange(-40, 40) * 0.3466]  # fmt: skip
    bits = rng.integers(0, 2**32, 1_000_000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    binades = [sign * np.ldexp(rng.uniform(1, 2, 50_000), e) for e in range(-26, 7) for sign in (-1, 1)]
    x = np.concatenate([np.array(edges, np.float32), bits, np.concatenate(binades).astype(np.float32)])
    with np.errstate(over="ignore"):  # expm1(89) is past float32's largest: inf, as the kernel gives
        expected = np.array([math.expm1(min(v, 89.0)) for v in x.tolist()]).astype(np.float32)
    got = _expm1f_each(x)
    nan = np.isnan(expected)
    assert np.array_equal(np.isnan(got), nan)
    assert np.array_equal(got[~nan].view(np.uint32), expected[~nan].view(np.uint32))
