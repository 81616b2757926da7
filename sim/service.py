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

from sim.citizens import Citizens
from sim.config import SimConfig
from sim.needs import NeedLedger

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
    mask = ledger.queue == queues.unrouted
    if not mask.any():
        return
    rec = ledger.take(mask)
    c, a, group = rec["citizen"], rec["agency"], rec["group"]
    cc = cfg.citizen
    u = rng.random((2, len(c)))
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
    ledger.resubmit(rec, queue, assisted, day)


def serve(
    cfg: SimConfig,
    ledger: NeedLedger,
    today: AgencyDay,
    day: int,
    rng: np.random.Generator,
    flows: DayFlows,
) -> Closed:
    """Answer queues within capacity, forward hub mail, withdraw and drop (C4, C7, C8)."""
    queues = ledger.queues
    n_ag = queues.n_agencies
    q = ledger.queue
    rank = ledger.rank_in_queue()

    inbox = queues.is_inbox(q)
    qa = np.where(inbox, q, 0)
    real = today.replies[qa]
    served_inbox = inbox & (rank < real + today.boilerplate[qa])
    boiler = cfg.agency.boilerplate_clarity_factor
    p_inbox = today.clarity[qa] * np.where(rank < real, 1.0, boiler)

    office = queues.is_office(q)
    qo = np.where(office, q - queues.office0, 0)
    served_office = office & (rank < today.office[qo])
    served_hub = (q == queues.hub) & (rank < today.hub_capacity)

    served = served_inbox | served_office | served_hub
    p_resolve = np.where(
        served_inbox,
        p_inbox,
        np.where(served_office, cfg.citizen.offline_resolution, today.hub_clarity),
    )
    resolved = np.zeros(len(q), dtype=bool)
    idx = np.flatnonzero(served)
    resolved[idx] = rng.random(len(idx)) < p_resolve[idx]

    # what the hub's pooled staff did not answer today goes on to an agency
    forward = (q == queues.hub) & ~served_hub
    _forward(cfg, ledger, today, forward, rng)

    answered = served_inbox | served_hub
    online_now = queues.is_online(ledger.queue)
    withdrawn = online_now & ~answered & (day - ledger.submitted >= cfg.citizen.retry_days)

    delay = day - ledger.submitted[answered]
    flows.answered += len(delay)
    flows.online_resolved += int((answered & resolved).sum())
    flows.answered_fast += int((delay <= cfg.metrics.response_days).sum())
    flows.delays += np.bincount(np.minimum(delay, DELAY_CAP), minlength=DELAY_CAP + 1)
    flows.online_ended += len(delay) + int(withdrawn.sum())
    flows.hub_replied += int(served_hub.sum())
    flows.replied += np.bincount(q[served_inbox], minlength=n_ag)
    flows.resolved += np.bincount(q[served_inbox & resolved], minlength=n_ag)
    flows.withdrawn += np.bincount(ledger.queue[withdrawn & queues.is_inbox(ledger.queue)], minlength=n_ag)

    ended = answered | withdrawn
    attempt_citizen = ledger.citizen[ended]
    attempt_success = resolved[ended]

    # older, rural citizens cannot keep returning to an office: they give up sooner,
    # unless a helper follows the case up for them
    alone = (ledger.group == 1) & ~ledger.assisted
    patience = cfg.citizen.patience_days * np.where(alone, cfg.citizen.patience_ratio_excluded, 1.0)
    dropped = ~resolved & (day - ledger.arisen >= patience)
    # answered-but-unresolved and withdrawn needs go back to their citizen
    returned = ((served & ~resolved) | withdrawn) & ~dropped
    ledger.queue[returned] = queues.unrouted

    rec = ledger.take(resolved | dropped)
    met = resolved[resolved | dropped]
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


def _forward(cfg: SimConfig, ledger: NeedLedger, today: AgencyDay, mask: np.ndarray, rng: np.random.Generator) -> None:
    """The hub routes to the responsible agency (its inbox, or its office if it has no account)."""
    idx = np.flatnonzero(mask)
    if len(idx) == 0:
        return
    queues = ledger.queues
    a = ledger.agency[idx]
    right = rng.random(len(idx)) < cfg.policy.integration.routing_accuracy
    target = np.where(today.has_account[a], a, queues.office0 + a)
    ledger.queue[idx] = np.where(right, target, queues.void)
