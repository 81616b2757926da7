"""The agencies' and leaders' compiled rules equal plain numpy readings of the same rules, bit for bit.

The kernels (sim/_jit_agencies.py) replaced numpy expressions that the committed results
were made with; these readings are those expressions, kept here as the oracle. Every audit
metric is checked (the digest of committed results exercises only some of them), day after
day on one drifting state, with the random stream compared too.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from sim.agency import METRIC_COLUMN, Agencies
from sim.api import load_config
from sim.config import (
    ADOPTION_IMITATION,
    BOILERPLATE_COST_FACTOR,
    CRITICISM_THRESHOLD,
    FILLER_HOURS,
    SimConfig,
)
from sim.leader import Leaders
from sim.model import GovSimModel
from sim.rounding import stochastic_round
from sim.service import AgencyDay


def _round(x: np.ndarray, u: np.ndarray) -> np.ndarray:
    return np.where(np.asarray(x) > 0, np.floor(np.asarray(x) + u), 0).astype(np.int64)


def _plain_adopt(ag: Agencies, cfg: SimConfig, day: int, peer_share: float, rng: np.random.Generator) -> None:
    mandate = cfg.policy.mandate
    a = cfg.agency
    prior = a.motivation_alpha / (a.motivation_alpha + a.motivation_beta)
    hazard = (a.adoption_innovation + ADOPTION_IMITATION * peer_share) * ag.motivation / prior
    if day >= mandate.start_day:
        forced = 1.0 / max(1, mandate.deadline_day - day + 1)
        hazard = np.where(ag.mandated, forced, hazard)
    opened = ~ag.has_account & (rng.random(ag.n) < hazard)
    ag.has_account |= opened
    ag.account_day[opened] = day


def _plain_audit_gap(ag, cfg, day, effort, post_share, clarity, room, u):  # type: ignore[no-untyped-def]
    a = cfg.agency
    audit = cfg.policy.audit
    zero = np.zeros(ag.n)
    if audit.metric == "none" or audit.quota == 0:
        return zero, zero, zero.astype(np.int64)
    into_period = (day - 1) % audit.period_days + 1
    target = audit.quota * into_period / audit.period_days
    replies = effort * ag.skill / a.cost_reply
    planned = {
        "posts": effort * post_share * (1.0 - ag.skill) / a.cost_post,
        "replies": replies,
        "resolutions": replies * clarity,
    }[audit.metric]
    gap = target - ag.period_counts[METRIC_COLUMN[audit.metric]] - planned
    compliance = np.minimum(1.0, a.base_compliance + ag.pressure)
    if audit.metric == "resolutions":
        gap = gap / clarity
    units = np.where(ag.has_account & (gap > 0), _round(compliance * gap, u), 0)
    if audit.metric != "posts":
        units = np.minimum(units, room).astype(np.int64)
    unit_cost = np.full(
        ag.n,
        {"posts": FILLER_HOURS, "replies": a.cost_reply * BOILERPLATE_COST_FACTOR, "resolutions": a.cost_reply}[
            audit.metric
        ],
    )
    return units * unit_cost, unit_cost, units


def _plain_plan(ag, cfg, day, inbox, hub_share, rng):  # type: ignore[no-untyped-def]
    a = cfg.agency
    policy = cfg.policy
    u = rng.random((5, ag.n))
    acc = ag.has_account
    office = ag.office_capacity(cfg)
    pressed = acc & (ag.mandated | (ag.pressure > 0))
    diverted = np.where(pressed, policy.offline_diversion * office, 0.0)
    ag.office = _round(office - diverted, u[0])
    post_hours = np.where(acc, ag.posting_hours(cfg), 0.0)
    case_hours = np.where(acc, ag.caseload_hours(cfg) + diverted * a.cost_reply, 0.0)
    pooled = hub_share * case_hours
    ag.hub_hours = pooled * ag.motivation * ag.skill
    case_hours = case_hours - pooled
    hours = post_hours + case_hours
    effort = hours * ag.motivation
    idle = hours - effort
    post_share = np.divide(post_hours, hours, out=np.zeros(ag.n), where=hours > 0)
    clarity = ag.clarity(cfg)
    room = np.maximum(0, inbox - np.floor(effort * ag.skill / a.cost_reply))
    audit_cost, unit_cost, units = _plain_audit_gap(ag, cfg, day, effort, post_share, clarity, room, u[1])
    from_effort = np.minimum(effort, a.audit_crowding * audit_cost)
    affordable = np.minimum(audit_cost, from_effort + idle)
    done = np.where(unit_cost > 0, np.floor(affordable / np.where(unit_cost > 0, unit_cost, 1.0) + 1e-9), 0)
    units = np.minimum(units, done).astype(np.int64)
    left = effort - np.minimum(from_effort, units * unit_cost)
    ag.substantive = _round(left * post_share * (1.0 - ag.skill) / a.cost_post, u[3])
    replies = _round(left * ag.skill / a.cost_reply, u[2])
    ag.replies = np.minimum(inbox, replies)
    ag.filler = np.zeros(ag.n, dtype=np.int64)
    ag.boilerplate = np.zeros(ag.n, dtype=np.int64)
    metric = policy.audit.metric
    if metric == "posts":
        ag.filler = np.where(acc, units, 0)
    elif metric == "replies":
        ag.boilerplate = np.minimum(units, inbox - ag.replies)
    elif metric == "resolutions":
        ag.replies = np.minimum(inbox, ag.replies + units)


def _plain_settle(ag, cfg, day, replied, resolved, withdrawn):  # type: ignore[no-untyped-def]
    alpha = 1.0 / cfg.metrics.window_days
    ag.answered_ema += alpha * (replied - ag.answered_ema)
    ag.ended_ema += alpha * (replied + withdrawn - ag.ended_ema)
    clarity = ag.clarity(cfg)
    real = np.minimum(ag.replies, replied)
    boiler = (replied - real) * cfg.agency.boilerplate_clarity_factor
    value = (ag.substantive + cfg.agency.filler_value * ag.filler + real + boiler) * clarity
    items = ag.substantive + ag.filler + replied
    ag.value_ema += alpha * (value - ag.value_ema)
    ag.items_ema += alpha * (items - ag.items_ema)
    posts = ag.substantive + ag.filler
    ag.posts_total += posts
    ag.filler_total += ag.filler
    ag.replies_total += replied
    ag.resolutions_total += resolved
    ag.period_counts += np.stack([posts, replied, resolved])
    ag.last_substantive_day[ag.substantive > 0] = day
    ag.last_reply_day[replied > 0] = day
    ag.last_resolution_day[resolved > 0] = day


def _plain_responsiveness(ag: Agencies) -> np.ndarray:
    ended = ag.ended_ema > 1e-9
    return np.where(ended, ag.answered_ema / np.where(ended, ag.ended_ema, 1.0), 1.0)


def _plain_credibility(ag: Agencies, cfg: SimConfig) -> np.ndarray:
    items = ag.items_ema
    share = np.divide(ag.value_ema, items, out=np.zeros(ag.n), where=items > 1e-12)
    # libm's expm1, value by value (numpy's array expm1 takes a SIMD path of its own on AVX-512 CPUs)
    decay = np.array([math.expm1(v) for v in (-items * cfg.metrics.window_days).tolist()], dtype=np.float64)
    return share * -decay


def _plain_leaders_act(leaders, cfg, ag, rng):  # type: ignore[no-untyped-def]
    lc = cfg.leader
    w = leaders.watched
    clarity = ag.clarity(cfg)
    relayable = ag.substantive + cfg.agency.filler_value * ag.filler
    leaders.relays = rng.binomial(np.rint(relayable).astype(np.int64)[w], lc.relay_prob * clarity[w]).sum(axis=1)
    unresponsive = (ag.has_account & (_plain_responsiveness(ag) < CRITICISM_THRESHOLD))[w].sum(axis=1)
    leaders.criticisms = rng.binomial(unresponsive, lc.criticism_prob)


_STATE = (
    "has_account", "account_day", "substantive", "filler", "replies", "boilerplate", "office", "hub_hours",
    "answered_ema", "ended_ema", "value_ema", "items_ema", "posts_total", "filler_total", "replies_total",
    "resolutions_total", "period_counts", "last_substantive_day", "last_reply_day", "last_resolution_day",
)  # fmt: skip


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")


@pytest.mark.parametrize(
    "overrides",
    [
        ["policy.audit.metric=none", "policy.mandate.deadline_day=50"],
        ["policy.audit.metric=posts", "agency.filler_value=0.5"],
        ["policy.audit.metric=replies", "agency.audit_crowding=0.6"],
        ["policy.audit.metric=resolutions", "policy.audit.quota=40"],
        ["policy.audit.metric=replies", "policy.audit.quota=0", "metrics.window_days=15"],
    ],
)
def test_agency_and_leader_kernels_equal_the_plain_numpy_rules(overrides: list[str]) -> None:
    cfg = load_config(["policy=quota", *overrides])
    rng = np.random.default_rng(11)
    n = 160
    fast = Agencies(
        level=rng.integers(0, 3, n),
        sector=rng.integers(0, 8, n),
        district=rng.integers(-1, 5, n),
        motivation=rng.beta(2, 3, n),
        skill=rng.beta(2, 5, n),
        demand=rng.gamma(2.0, 1.5, n) * (rng.random(n) < 0.9),  # some agencies serve nobody
        has_account=rng.random(n) < 0.4,
    )
    fast.mandated[:] = rng.random(n) < 0.5
    fast.pressure[:] = np.where(rng.random(n) < 0.5, rng.random(n), 0.0)
    plain = copy.deepcopy(fast)
    leaders = Leaders(np.ones(25), rng.integers(0, n, (25, 12)))
    plain_leaders = copy.deepcopy(leaders)
    r_fast, r_plain = np.random.default_rng(5), np.random.default_rng(5)
    for day in range(1, 80):
        share = float(fast.has_account.mean())
        inbox = rng.integers(0, 12, n) * (rng.random(n) < 0.8)
        hub_share = 0.3 if day > 40 else 0.0
        fast.adopt(cfg, day, share, r_fast)
        _plain_adopt(plain, cfg, day, share, r_plain)
        clarity = fast.clarity(cfg)
        fast.plan(cfg, day, inbox, hub_share, clarity, r_fast)
        _plain_plan(plain, cfg, day, inbox, hub_share, r_plain)
        responsiveness = fast.responsiveness()
        assert _same(responsiveness, _plain_responsiveness(plain))
        today = AgencyDay(
            fast.has_account, clarity, fast.substantive, fast.filler, fast.replies, fast.boilerplate, fast.office,
            responsiveness, False, 0, 0.0,
        )  # fmt: skip
        leaders.act(cfg, today, r_fast)
        _plain_leaders_act(plain_leaders, cfg, plain, r_plain)
        assert _same(leaders.relays, plain_leaders.relays) and _same(leaders.criticisms, plain_leaders.criticisms)
        # what the service delivered: up to the replies and boilerplate offered, some withdrawn
        offered = fast.replies + fast.boilerplate
        replied = rng.integers(0, offered + 1)
        resolved = rng.integers(0, replied + 1)
        withdrawn = rng.integers(0, 3, n) * (rng.random(n) < 0.3)
        fast.settle(cfg, day, replied, resolved, withdrawn, clarity)
        _plain_settle(plain, cfg, day, replied, resolved, withdrawn)
        for name in _STATE:
            assert _same(getattr(fast, name), getattr(plain, name)), (day, name)
        assert _same(fast.credibility(cfg), _plain_credibility(plain, cfg))
        if day % cfg.policy.audit.period_days == 0:  # a new audit period
            fast.period_counts[:] = 0
            plain.period_counts[:] = 0
        assert r_fast.random() == r_plain.random()
    assert fast.substantive.sum() > 0 and fast.replies_total.sum() > 0


def test_credibility_table_and_stochastic_round_equal_numpys() -> None:
    rng = np.random.default_rng(2)
    model = GovSimModel(load_config(["population=classroom", "policy=quota", "seed=3", "days=30"]))
    model.run()
    ag = model.agencies
    expected = np.append(np.where(ag.has_account, ag.credibility(model.cfg), np.nan), np.nan).astype(np.float32)
    assert _same(model.credibility_table(), expected)
    for x in [*rng.normal(3.0, 4.0, 500), 0.0, -0.0, np.nan, 1e-300, 7.0]:
        u = float(rng.random())
        assert stochastic_round(x, u) == int(_round(np.array([x]), np.array([u]))[0])
