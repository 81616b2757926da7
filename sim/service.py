"""Channels and service: how open needs move through queues each day.

`route` lets every unrouted need's citizen pick a channel (agency account,
one-stop hub, office, assisted centre) and pays the citizen's burden;
`serve` answers queues first come first served within the day's capacities,
forwards hub requests, withdraws unanswered online requests and drops needs
whose patience ran out. The per-record rules run as compiled passes over the need
records (sim.kernels), between the day's draws.
"""

from __future__ import annotations

import functools
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
    """The channel rules for the needs `rec`: each one's queue and whether a helper goes with it.

    A connected citizen goes online with chance efficacy x (1 + trust_channel_weight x (2 trust - 1)),
    capped at 1; an excluded one only with a relative or an assisted-digital centre (coverage),
    which goes by what it knows of the account: its responsiveness. Online needs go to the hub
    when it is open, else to the agency's inbox if it has an account; without a hub a citizen
    guesses the agency and misroutes with chance misroute_prob x (1 - digital skill), helpers
    know the way. Every other need goes to the agency's office. The helper's follow-up (and
    patience) comes only with the helper's channel. Each channel's cost is the burden paid.
    """
    c, a, group = rec["citizen"], rec["agency"], rec["group"]
    cc = cfg.citizen
    # a Python float compared with the float32 assist draws is compared in float32 (numpy's rule)
    cov = np.float32(assisted_coverage)
    costs = np.array([cc.cost_online, cc.cost_assisted, cc.cost_offline_connected, cc.cost_offline_excluded])
    queue, assisted, n_online, n_misrouted = kernels.choose_channel(
        kernels.generator_handle(rng), c, a, group, citizens.connected, citizens.assist_draw, float(cov),
        citizens.trust, citizens.efficacy, citizens.digital_skill, today.has_account, today.responsiveness,
        bool(today.hub_active), np.float32(cc.trust_channel_weight), np.float32(cc.misroute_prob),
        queues.hub, queues.office0, queues.void, costs, flows.burden,
    )  # fmt: skip
    flows.online_routed += int(n_online)
    flows.misrouted += int(n_misrouted)
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
    the patience, an online attempt older than the retry delay) run as compiled
    passes over the ledger, in ledger order; the random draws follow that order.
    """
    queues = ledger.queues
    n_ag = queues.n_agencies
    slots = np.zeros(queues.count, dtype=np.int64)
    slots[:n_ag] = _slots(today.replies + today.boilerplate)
    slots[queues.office0 : queues.hub] = _slots(today.office)
    slots[queues.hub] = _slots(today.hub_capacity)
    c = cfg.citizen
    # the heads of each queue (its first `slots` records, first come first served), each resolved with
    # chance clarity in an inbox (x boilerplate_clarity_factor past the real replies),
    # offline_resolution in an office, the hub's clarity at the hub
    idx, resolved, hub_mail = kernels.serve_heads(
        kernels.generator_handle(rng), ledger.queue, slots, queues.office0, queues.hub, today.clarity, today.replies,
        float(cfg.agency.boilerplate_clarity_factor), float(c.offline_resolution), float(today.hub_clarity),
    )  # fmt: skip
    # what the hub's pooled staff did not answer today goes on to an agency
    _forward(cfg, ledger, today, hub_mail[int(slots[queues.hub]) :], rng)
    # one pass in ledger order: answered heads end an online attempt; an online need older than
    # retry_days is withdrawn (and resubmitted); older, rural citizens cannot keep returning to an
    # office, so a need older than the patience (x patience_ratio_excluded for the excluded
    # without a helper) is dropped; answered-but-unresolved and withdrawn needs go back
    counts, attempt_citizen, attempt_success, closing, met, back, pending, sizes = kernels.serve_close(
        ledger.queue, ledger.submitted, ledger.arisen, ledger.group, ledger.assisted, ledger.citizen, idx,
        resolved, day, c.retry_days, cfg.metrics.response_days, queues.office0, queues.hub, queues.void,
        queues.unrouted, queues.count, DELAY_CAP, float(c.patience_days), float(c.patience_ratio_excluded),
        flows.delays, flows.replied, flows.resolved, flows.withdrawn,
    )  # fmt: skip
    answered, online_resolved, fast, withdrawn, hub_replied = counts.tolist()
    flows.answered += answered
    flows.online_resolved += online_resolved
    flows.answered_fast += fast
    flows.online_ended += answered + withdrawn
    flows.hub_replied += hub_replied
    rec = ledger.settle(closing, back, pending, sizes)
    return close_needs(cfg, ledger, rec, met, day, flows, attempt_citizen, attempt_success)


@functools.lru_cache(maxsize=8)
def _decay(half_life: float, n: int) -> np.ndarray:
    """0.5 ** (wait / half_life) for waits 0..n-1 days, by C's pow (Python floats): the same glibc gives
    the same table on any CPU, where numpy's array power takes a SIMD path of its own on AVX-512."""
    table = np.array([0.5 ** (w / half_life) for w in range(n)])
    table.flags.writeable = False
    return table


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
    # the ledger's and the day's met/dropped counts per group and cohort, and each closed need's quality:
    # a met need's halves every quality_half_life days of waiting (0.5 ** (wait / half-life)), 0 if dropped
    decay = _decay(cfg.citizen.quality_half_life, cfg.days + 1)
    quality, total = kernels.close_counts(
        rec["group"], rec["cohort"], rec["arisen"], met, day, decay, ledger.n_met, ledger.n_dropped, flows.met,
        flows.dropped, flows.met_cohort, flows.dropped_cohort, flows.wait_days,
    )  # fmt: skip
    flows.quality += float(total)
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
    ledger.requeue(idx, np.where(right, target, queues.void))
