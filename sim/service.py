"""Channels and service: how open needs move through queues each day.

`route` lets every unrouted need's citizen pick a channel (agency account,
one-stop hub, office, assisted centre) and pays the citizen's burden;
`serve` answers queues first come first served within the day's capacities,
forwards hub requests, withdraws unanswered online requests and drops needs
whose patience ran out. All of it is vectorised over the need records.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim import kernels
from sim.citizens import Citizens
from sim.config import SimConfig
from sim.needs import NeedLedger, Queues

DELAY_CAP = 64  # reply delays >= this many days share the last histogram bin


@dataclass
class AgencyDay:
    """What the agencies offer today, as vectors indexed by agency."""

    has_account: np.ndarray
    clarity: np.ndarray
    substantive: np.ndarray
    filler: np.ndarray
    replies: np.ndarray
    boilerplate: np.ndarray
    office: np.ndarray
    responsiveness: np.ndarray
    hub_active: bool
    hub_capacity: int
    hub_clarity: float


@dataclass
class DayFlows:
    """Counts of today's service events (inputs to the outcome recorder)."""

    n_agencies: int
    met: np.ndarray = field(default_factory=lambda: np.zeros(2, np.int64))
    dropped: np.ndarray = field(default_factory=lambda: np.zeros(2, np.int64))
    met_cohort: np.ndarray = field(default_factory=lambda: np.zeros(2, np.int64))
    dropped_cohort: np.ndarray = field(default_factory=lambda: np.zeros(2, np.int64))
    wait_days: np.ndarray = field(default_factory=lambda: np.zeros(2))
    burden: np.ndarray = field(default_factory=lambda: np.zeros(2))
    quality: float = 0.0
    arisen: int = 0
    online_routed: int = 0
    misrouted: int = 0
    online_ended: int = 0
    answered: int = 0
    answered_fast: int = 0
    online_resolved: int = 0
    hub_replied: int = 0
    delays: np.ndarray = field(default_factory=lambda: np.zeros(DELAY_CAP + 1, np.int64))
    replied: np.ndarray = field(init=False)
    resolved: np.ndarray = field(init=False)
    withdrawn: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.replied = np.zeros(self.n_agencies, np.int64)
        self.resolved = np.zeros(self.n_agencies, np.int64)
        self.withdrawn = np.zeros(self.n_agencies, np.int64)


@dataclass
class Closed:
    """Needs closed today and online attempts that ended today, for belief updates."""

    citizen: np.ndarray
    quality: np.ndarray
    met: np.ndarray
    attempt_citizen: np.ndarray
    attempt_success: np.ndarray


def route(
    cfg: SimConfig,
    ledger: NeedLedger,
    citizens: Citizens,
    today: AgencyDay,
    assisted_coverage: float,
    day: int,
    rng: np.random.Generator,
    flows: DayFlows,
) -> None:
    """Every unrouted need's citizen picks a channel (C6, C7)."""
    queues = ledger.queues
    start = ledger.unrouted_tail()
    if start is None:  # unrouted needs inside the ledger: take them out, route, put them back at the end
        mask = ledger.queue == queues.unrouted
        if not mask.any():
            return
        rec = ledger.take(mask)
    elif start == len(ledger):
        return
    else:  # the usual day: they are the tail, routed in place (the same order)
        rec = {k: v[start:] for k, v in ledger.cols.items()}
    queue, assisted = choose_channel(cfg, rec, queues, citizens, today, assisted_coverage, rng, flows)
    if start is None:
        ledger.resubmit(rec, queue, assisted, day)
    else:
        ledger.route_tail(start, queue, assisted, day)


def choose_channel(
    cfg: SimConfig,
    rec: dict[str, np.ndarray],
    queues: Queues,
    citizens: Citizens,
    today: AgencyDay,
    assisted_coverage: float,
    rng: np.random.Generator,
    flows: DayFlows,
) -> tuple[np.ndarray, np.ndarray]:
    """The channel rules for the needs `rec`: each one's queue and whether a helper goes with it."""
    c, a, group = rec["citizen"], rec["agency"], rec["group"]
    cc = cfg.citizen
    u = rng.random((2, len(c)))
    if kernels.ENABLED:
        # the coverage compares in the precision numpy gives it (a Python float: the draws' float32)
        cov = np.asarray(assisted_coverage, dtype=np.result_type(citizens.assist_draw.dtype, assisted_coverage))
        costs = np.array([cc.cost_online, cc.cost_assisted, cc.cost_offline_connected, cc.cost_offline_excluded])
        queue, assisted, n_online, n_misrouted = kernels.choose_channel(
            u, c, a, group, citizens.connected, citizens.assist_draw, float(cov), citizens.trust,
            citizens.efficacy, citizens.digital_skill, today.has_account, today.responsiveness,
            bool(today.hub_active), np.float32(cc.trust_channel_weight), np.float32(cc.misroute_prob),
            queues.hub, queues.office0, queues.void, costs, flows.burden,
        )  # fmt: skip
        flows.online_routed += int(n_online)
        flows.misrouted += int(n_misrouted)
        return queue, assisted
    connected = citizens.connected[c]
    # a relative or an assisted-digital centre can help: online if the citizen believes it works
    covered = ~connected & (citizens.assist_draw[c] < assisted_coverage)
    reachable = today.hub_active | today.has_account[a]
    # a citizen goes by efficacy and trust; a helper goes by what they know of the account: its responsiveness
    propensity = np.where(connected, citizens.channel_propensity(cfg, c), today.responsiveness[a])
    online = reachable & (connected | covered) & (u[0] < propensity)
    # the helper's follow-up (and patience) comes only with the helper's channel
    assisted = covered & online
    # without a hub the citizen must guess the agency; helpers know the way
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


def _slots(x: np.ndarray | int) -> np.ndarray:
    """Ranks r = 0, 1, ... with r < x: how many of a queue's first records a capacity serves."""
    x = np.asarray(x)
    if x.dtype.kind in "iub":
        return np.maximum(x, 0).astype(np.int64)
    return np.where(x > 0, np.ceil(np.minimum(x, 2.0**62)), 0).astype(np.int64)  # NaN: none


def serve(
    cfg: SimConfig,
    ledger: NeedLedger,
    today: AgencyDay,
    day: int,
    rng: np.random.Generator,
    flows: DayFlows,
) -> Closed:
    """Answer queues within capacity, forward hub mail, withdraw and drop (C4, C7, C8).

    The rules read per record (rank in its queue under the capacity, age over
    the patience, an online attempt older than the retry delay) are evaluated
    on the records they can concern: the heads of the queues, the hub's mail,
    and the old; the random draws follow ledger order as the rules list them.
    """
    queues = ledger.queues
    n_ag = queues.n_agencies
    slots = np.zeros(queues.count, dtype=np.int64)
    slots[:n_ag] = _slots(today.replies + today.boilerplate)
    slots[queues.office0 : queues.hub] = _slots(today.office)
    slots[queues.hub] = _slots(today.hub_capacity)
    if kernels.ENABLED:
        return _serve_compiled(cfg, ledger, today, day, rng, flows, slots)
    idx, rank, order, start, count = ledger.heads(slots)  # served: the first records of each queue
    q = ledger.queue
    qs = q[idx]
    s_inbox = qs < queues.office0
    s_office = queues.is_office(qs)
    s_hub = qs == queues.hub
    qa = np.where(s_inbox, qs, 0)
    boiler = cfg.agency.boilerplate_clarity_factor
    p_inbox = today.clarity[qa] * np.where(rank < today.replies[qa], 1.0, boiler)
    p_resolve = np.where(s_inbox, p_inbox, np.where(s_office, cfg.citizen.offline_resolution, today.hub_clarity))
    resolved = rng.random(len(idx)) < p_resolve

    # what the hub's pooled staff did not answer today goes on to an agency
    hub_mail = order[start[queues.hub] : start[queues.hub] + count[queues.hub]]  # ledger order
    _forward(cfg, ledger, today, hub_mail[int(slots[queues.hub]) :], rng)

    answered = s_inbox | s_hub
    answered_idx = idx[answered]
    stale = queues.is_online(q)  # q is the ledger's column: forwarded mail is in its new queue
    stale &= day - ledger.submitted >= cfg.citizen.retry_days
    stale[answered_idx] = False
    withdrawn_idx = np.flatnonzero(stale)
    del stale

    delay = day - ledger.submitted[answered_idx]
    flows.answered += len(delay)
    flows.online_resolved += int(resolved[answered].sum())
    flows.answered_fast += int((delay <= cfg.metrics.response_days).sum())
    flows.delays += np.bincount(np.minimum(delay, DELAY_CAP), minlength=DELAY_CAP + 1)
    flows.online_ended += len(delay) + len(withdrawn_idx)
    flows.hub_replied += int(s_hub.sum())
    flows.replied += np.bincount(qs[s_inbox], minlength=n_ag)
    flows.resolved += np.bincount(qs[s_inbox & resolved], minlength=n_ag)
    qw = q[withdrawn_idx]
    flows.withdrawn += np.bincount(qw[queues.is_inbox(qw)], minlength=n_ag)

    # online attempts that ended today (answered or withdrawn), in ledger order
    ended = np.concatenate([answered_idx, withdrawn_idx])
    ended_order = np.argsort(ended, kind="stable")
    attempt_citizen = ledger.citizen[ended[ended_order]]
    attempt_success = np.concatenate([resolved[answered], np.zeros(len(withdrawn_idx), dtype=bool)])[ended_order]

    # older, rural citizens cannot keep returning to an office: they give up sooner,
    # unless a helper follows the case up for them
    c = cfg.citizen
    age = day - ledger.arisen
    floor = [p for p in (c.patience_days * c.patience_ratio_excluded, c.patience_days * 1.0) if p == p]
    old = np.flatnonzero(age >= min(floor)) if floor else np.zeros(0, dtype=np.int64)  # can run out of patience
    del age
    alone = (ledger.group[old] == 1) & ~ledger.assisted[old]
    patience = c.patience_days * np.where(alone, c.patience_ratio_excluded, 1.0)
    gone = np.zeros(len(q), dtype=bool)
    gone[idx[resolved]] = True
    dropped_idx = old[~gone[old] & (day - ledger.arisen[old] >= patience)]
    gone[dropped_idx] = True
    # answered-but-unresolved and withdrawn needs go back to their citizen
    back = np.concatenate([idx[~resolved], withdrawn_idx])
    back = np.sort(back[~gone[back]])
    del gone

    closing = np.concatenate([idx[resolved], dropped_idx])
    closing_order = np.argsort(closing, kind="stable")
    met = np.concatenate([np.ones(int(resolved.sum()), dtype=bool), np.zeros(len(dropped_idx), dtype=bool)])
    met = met[closing_order]
    rec = ledger.settle(closing[closing_order], back)
    return close_needs(cfg, ledger, rec, met, day, flows, attempt_citizen, attempt_success)


def _serve_compiled(
    cfg: SimConfig, ledger: NeedLedger, today: AgencyDay, day: int, rng: np.random.Generator, flows: DayFlows,
    slots: np.ndarray,
) -> Closed:  # fmt: skip
    """`serve` with its per-record rules in sim.kernels: the same draws in the same order, the same records."""
    queues = ledger.queues
    c = cfg.citizen
    idx, p_resolve, hub_mail = kernels.serve_heads(
        ledger.queue, slots, queues.office0, queues.hub, today.clarity, today.replies,
        float(cfg.agency.boilerplate_clarity_factor), float(c.offline_resolution), float(today.hub_clarity),
    )  # fmt: skip
    resolved = rng.random(len(idx)) < p_resolve
    _forward(cfg, ledger, today, hub_mail[int(slots[queues.hub]) :], rng)
    counts, attempt_citizen, attempt_success, closing, met, back = kernels.serve_close(
        ledger.queue, ledger.submitted, ledger.arisen, ledger.group, ledger.assisted, ledger.citizen, idx,
        resolved, day, c.retry_days, cfg.metrics.response_days, queues.office0, queues.hub, queues.void,
        DELAY_CAP, float(c.patience_days), float(c.patience_ratio_excluded), flows.delays, flows.replied,
        flows.resolved, flows.withdrawn,
    )  # fmt: skip
    answered, online_resolved, fast, withdrawn, hub_replied = counts.tolist()
    flows.answered += answered
    flows.online_resolved += online_resolved
    flows.answered_fast += fast
    flows.online_ended += answered + withdrawn
    flows.hub_replied += hub_replied
    rec = ledger.settle(closing, back)
    return close_needs(cfg, ledger, rec, met, day, flows, attempt_citizen, attempt_success)


def close_needs(
    cfg: SimConfig,
    ledger: NeedLedger,
    rec: dict[str, np.ndarray],
    met: np.ndarray,
    day: int,
    flows: DayFlows,
    attempt_citizen: np.ndarray,
    attempt_success: np.ndarray,
) -> Closed:
    """Close the needs `rec` taken out of the ledger (met or dropped) and book them in today's flows."""
    if kernels.ENABLED:
        wait = kernels.close_counts(
            rec["group"], rec["cohort"], rec["arisen"], met, day, ledger.n_met, ledger.n_dropped, flows.met,
            flows.dropped, flows.met_cohort, flows.dropped_cohort, flows.wait_days,
        )  # fmt: skip
        quality = np.where(met, 0.5 ** (wait / cfg.citizen.quality_half_life), 0.0)
        flows.quality += float(quality.sum())
        return Closed(rec["citizen"], quality, met, attempt_citizen, attempt_success)
    ledger.close(rec, met)
    group = rec["group"]
    wait = (day - rec["arisen"]).astype(np.float64)
    quality = np.where(met, 0.5 ** (wait / cfg.citizen.quality_half_life), 0.0)
    flows.met += np.bincount(group[met], minlength=2)
    flows.dropped += np.bincount(group[~met], minlength=2)
    flows.met_cohort += np.bincount(rec["cohort"][met], minlength=2)
    flows.dropped_cohort += np.bincount(rec["cohort"][~met], minlength=2)
    flows.wait_days += np.bincount(group[met], weights=wait[met], minlength=2)
    flows.quality += float(quality.sum())
    return Closed(rec["citizen"], quality, met, attempt_citizen, attempt_success)


def _forward(cfg: SimConfig, ledger: NeedLedger, today: AgencyDay, idx: np.ndarray, rng: np.random.Generator) -> None:
    """The hub routes to the responsible agency (its inbox, or its office if it has no account).

    `idx`: positions of the forwarded mail, ascending (ledger order)."""
    if len(idx) == 0:
        return
    queues = ledger.queues
    a = ledger.agency[idx]
    right = rng.random(len(idx)) < cfg.policy.integration.routing_accuracy
    target = np.where(today.has_account[a], a, queues.office0 + a)
    ledger.queue[idx] = np.where(right, target, queues.void)
