"""The network picture: agencies, opinion leaders and a readable sample of citizens.

The sample and the layout are fixed once per model (from a generator of their
own, so drawing never changes the model's random stream); each day only the
colours and the drawn ties change. The state of every node is read off the
model, never recomputed here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.geography import CITY, DISTRICT, PROVINCE
from sim.model import GovSimModel

SAMPLE_CITIZENS = 60
MAX_DISTRICTS_SHOWN = 3
_LAYOUT_SEED = 7919  # added to the model seed: the picture's own stream

# Okabe-Ito colours: readable for colour-blind students and on a projector
EXCLUDED = "#9a9a9a"
SILENT = "#56B4E9"
ACTIVE = "#0a4f8c"  # dark blue: "more online" than silent sky blue; far from the red waiting ring
WAITING = "#D55E00"
SERVED = "#009E73"
NO_ACCOUNT = "#ffffff"
ACCOUNT = "#0072B2"
GHOST = "#F0E442"
LEADER = "#CC79A7"
LEADER_QUIET = "#e7c3d8"

# the picture's rows, top to bottom (the figure labels each row at its own height)
ROW_Y = {"province": 4.6, "city": 3.9, "leaders": 3.0, "district": 2.1, "citizens": 1.2}
CITIZEN_ROW_GAP = 0.45


@dataclass(frozen=True)
class Layout:
    citizens: np.ndarray  # sampled citizen ids
    citizen_xy: np.ndarray  # (k, 2)
    agencies: np.ndarray  # agency indices shown
    agency_xy: np.ndarray
    leader_xy: np.ndarray  # one row per leader
    social: np.ndarray  # (e, 2) positions in the sample of tied citizen pairs
    width: float


def build_layout(model: GovSimModel, n_sample: int = SAMPLE_CITIZENS) -> Layout:
    """Agencies on top (province, city, then each district's), leaders in the middle, citizens below."""
    cit = model.citizens
    rng = np.random.default_rng(model.cfg.seed + _LAYOUT_SEED)
    n_districts = model.geo.n_districts
    shown = np.sort(rng.choice(n_districts, size=min(MAX_DISTRICTS_SHOWN, n_districts), replace=False))
    pool = np.flatnonzero(np.isin(cit.district, shown))
    ids = np.sort(rng.choice(pool, size=min(n_sample, len(pool)), replace=False))
    # connected citizens above the excluded ones in each district's block (inclusion moves nobody)
    n_sectors = model.geo.n_sectors
    block = n_sectors + 2.0  # one column per sector, and a gap
    width = block * len(shown) - 2.0
    xy = np.zeros((len(ids), 2))
    for b, d in enumerate(shown):
        mine = ids[cit.district[ids] == d]
        order = mine[np.argsort(~cit.connected[mine], kind="stable")]
        cols = n_sectors
        for j, c in enumerate(order):
            row, col = divmod(j, cols)
            xy[np.searchsorted(ids, c)] = (b * block + col + 0.5 * (row % 2), ROW_Y["citizens"] - CITIZEN_ROW_GAP * row)
    level, sector, district = model.geo.agency_table()
    keep = (level != DISTRICT) | np.isin(district, shown)
    agencies = np.flatnonzero(keep)
    axy = np.zeros((len(agencies), 2))
    centre = (width - n_sectors) / 2
    for j, a in enumerate(agencies):
        if level[a] == PROVINCE:
            axy[j] = (centre + sector[a], ROW_Y["province"])
        elif level[a] == CITY:
            axy[j] = (centre + sector[a], ROW_Y["city"])
        else:
            b = int(np.searchsorted(shown, district[a]))
            axy[j] = (b * block + sector[a], ROW_Y["district"])
    n_leaders = len(model.leader_list)
    lx = np.linspace(0, width, n_leaders + 2)[1:-1] if n_leaders else np.zeros(0)
    lxy = np.column_stack([lx, np.full(n_leaders, ROW_Y["leaders"])])
    # social ties inside the sample
    pos = {int(c): j for j, c in enumerate(ids)}
    pairs = []
    for j, c in enumerate(ids):
        for other in cit.ties.indices[cit.ties.indptr[c] : cit.ties.indptr[c + 1]]:
            k = pos.get(int(other))
            if k is not None and k > j:
                pairs.append((j, k))
    social = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    return Layout(ids, xy, agencies, axy, lxy, social, width)


@dataclass
class Snapshot:
    """Colours, sizes and ties of one day's picture, plus the counts shown under it."""

    citizen_face: list[str]
    citizen_edge: list[str]
    citizen_ring: np.ndarray  # ring width: thick when waiting, thin when served
    agency_face: list[str]
    leader_face: list[str]
    leader_size: np.ndarray
    follow_segments: np.ndarray  # (e, 2, 2) citizen -> agency with an account
    leader_segments: np.ndarray  # citizen -> leader
    watch_segments: np.ndarray  # leader -> watched agency with an account
    social_segments: np.ndarray
    counts: dict[str, int]


def snapshot(model: GovSimModel, layout: Layout) -> Snapshot:
    cit = model.citizens
    day = model.day
    ids = layout.citizens
    connected = cit.connected[ids]
    active = cit.active_recently(day, model.cfg.metrics.window_days)[ids] & connected
    waiting = np.isin(ids, model.ledger.citizen)
    served = (cit.needs_met[ids] > 0) & ~waiting
    face = np.where(active, ACTIVE, np.where(connected, SILENT, EXCLUDED))
    edge = np.where(waiting, WAITING, np.where(served, SERVED, "#ffffff"))

    # the agencies' columns, read once (an Agency view's is_ghost recomputes the whole column)
    has_account = model.agencies.has_account
    ghost = model.agencies.ghost(day, model.cfg.metrics.ghost_days)
    shown = layout.agencies
    agency_face = np.where(ghost[shown], GHOST, np.where(has_account[shown], ACCOUNT, NO_ACCOUNT))

    leaders = model.leader_list
    relaying = np.array([lead.relays_today > 0 for lead in leaders], dtype=bool)
    followers = np.array([lead.followers for lead in leaders], dtype=np.float64)
    leader_size = 60 + 320 * np.sqrt(followers / max(followers.max(initial=0), 1.0))

    where = {int(a): j for j, a in enumerate(shown)}
    follow = []
    for slot in cit.follows_agency:
        for j, a in enumerate(slot[ids]):
            k = where.get(int(a))
            if connected[j] and k is not None and has_account[a]:
                follow.append((layout.citizen_xy[j], layout.agency_xy[k]))
    to_leader = []
    n_leaders = len(leaders)
    for slot in cit.follows_leader:
        for j, lead in enumerate(slot[ids]):
            if connected[j] and lead < n_leaders:
                to_leader.append((layout.citizen_xy[j], layout.leader_xy[lead]))
    watch = []
    for i, lead in enumerate(leaders):
        for a in lead.watched:
            k = where.get(int(a))
            if k is not None and has_account[a]:
                watch.append((layout.leader_xy[i], layout.agency_xy[k]))
    both = connected[layout.social[:, 0]] & connected[layout.social[:, 1]] if len(layout.social) else []
    social = [
        (layout.citizen_xy[j], layout.citizen_xy[k]) for (j, k), on in zip(layout.social, both, strict=True) if on
    ]

    counts = {
        "citizens": len(ids),
        "connected": int(connected.sum()),
        "active": int(active.sum()),
        "excluded": int((~connected).sum()),
        "waiting": int(waiting.sum()),
        "served": int(served.sum()),
        "accounts": int(has_account[shown].sum()),
        "ghosts": int(ghost[shown].sum()),
        "agencies": len(shown),
        "relaying": int(relaying.sum()),
        "leaders": n_leaders,
    }
    return Snapshot(
        citizen_face=face.tolist(),
        citizen_edge=edge.tolist(),
        citizen_ring=np.where(waiting, 2.8, np.where(served, 1.4, 0.5)),
        agency_face=agency_face.tolist(),
        leader_face=np.where(relaying, LEADER, LEADER_QUIET).tolist(),
        leader_size=leader_size,
        follow_segments=_segments(follow),
        leader_segments=_segments(to_leader),
        watch_segments=_segments(watch),
        social_segments=_segments(social),
        counts=counts,
    )


def _segments(pairs: list) -> np.ndarray:
    return np.array(pairs, dtype=np.float64).reshape(-1, 2, 2)


def describe(counts: dict[str, int]) -> str:
    """One line for under the picture (the same numbers a student can count in it)."""
    c = counts
    return (
        f"{c['citizens']} sampled citizens: {c['connected']} online ({c['active']} active in the last 30 days), "
        f"{c['excluded']} offline; {c['waiting']} waiting for help, {c['served']} served. "
        f"{c['accounts']} of {c['agencies']} agencies have an account ({c['ghosts']} ghost); "
        f"{c['relaying']} of {c['leaders']} opinion leaders relayed a post today."
    )
