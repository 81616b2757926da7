"""The need ledger: every open citizen need, column-wise, in submission order.

A need arises once, then is pending (in exactly one queue) until it is met
or dropped; the per-group counters make the conservation law
arisen == met + dropped + pending checkable every day. Records are kept in
the order of their current submission, so "first come, first served" inside
a queue is simply ledger order.

A day touches few of the records of a large backlog, so the ledger is built
for that: columns live in buffers with room to grow (new needs are written
into the room, not concatenated onto every column), the needs that go back
to their citizens are moved to the end of the ledger when the day's closed
needs are removed (one compaction a day, in place, `settle`), and so the needs waiting
for a channel are always the ledger's tail (`unrouted_from`), which routing
updates in place. The order of the records that routing and service read is
the one the plain rules give: take the unrouted needs out, put them back at
the end.

The day's service pass visits every record anyway, so it also counts the records that stay open
(per group and per queue); `settle` keeps those counts, and the conservation check, the recorder
and the next morning's inbox sizes read them instead of counting the backlog three more times.
Every change to the records goes through a method, which marks the counts stale (then they are
counted afresh from the columns).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sim import kernels

GROUPS = ("connected", "excluded")  # codes 0 and 1 of the group and cohort columns
_NONE = np.zeros(0, dtype=np.int64)
ROOM = 4096  # spare records per column after a compaction: a few days of new needs at a million citizens


class Queues:
    """Queue ids for A agencies: inbox a, office A + a, the hub, the void, unrouted."""

    def __init__(self, n_agencies: int) -> None:
        self.n_agencies = n_agencies
        self.office0 = n_agencies
        self.hub = 2 * n_agencies
        self.void = 2 * n_agencies + 1  # misdirected: nobody answers
        self.unrouted = 2 * n_agencies + 2
        self.count = 2 * n_agencies + 3


_FIELDS = {
    "citizen": np.int32,
    "group": np.int8,  # the citizen's group when the need arose
    "cohort": np.int8,  # the citizen's group on day 0 (inclusion moves groups, not cohorts)
    "agency": np.int32,  # the agency responsible for the need
    "queue": np.int32,
    "arisen": np.int32,  # day the need arose
    "submitted": np.int32,  # day the current attempt started
    "assisted": np.bool_,  # an excluded citizen helped by a relative or assisted-digital centre
}


class NeedLedger:
    def __init__(self, queues: Queues) -> None:
        self.queues = queues
        self._size = 0
        self._buf: dict[str, np.ndarray] = {k: np.empty(ROOM, dtype=t) for k, t in _FIELDS.items()}
        self.cols: dict[str, np.ndarray] = {}
        self._version = 0
        self._views()
        # records from here on wait for a channel (queue unrouted), none before: kept by add and
        # settle, checked by `unrouted_tail` before routing relies on it
        self.unrouted_from = 0
        self.n_arisen = np.zeros(2, dtype=np.int64)
        self.n_met = np.zeros(2, dtype=np.int64)
        self.n_dropped = np.zeros(2, dtype=np.int64)
        # the open records per group and per queue as the day's service pass counted them, valid
        # while `_version` (bumped by every change to the records) is still `_counted_at`
        self._counted: dict[str, np.ndarray] = {}
        self._counted_at = -1

    def _views(self) -> None:
        self.cols = {k: b[: self._size] for k, b in self._buf.items()}
        self._version += 1

    def __len__(self) -> int:
        return self._size

    def __getattr__(self, name: str) -> np.ndarray:
        cols = self.__dict__.get("cols")
        if cols is not None and name in cols:
            return cols[name]
        raise AttributeError(name)

    def _fresh(self, which: str) -> np.ndarray | None:
        """The day's service pass counts ("group" or "queue"), if no record changed since."""
        if self._counted_at != self._version:
            return None
        return self._counted[which].copy()

    @property
    def n_pending(self) -> np.ndarray:
        """Open needs per group, counted from the records."""
        counted = self._fresh("group")
        return _bincount(self.cols["group"], len(GROUPS)) if counted is None else counted

    def add(self, citizen: np.ndarray, group: np.ndarray, cohort: np.ndarray, agency: np.ndarray, day: int) -> None:
        """New needs, unrouted until the citizen picks a channel."""
        k = len(citizen)
        new = {
            "citizen": citizen,
            "group": group,
            "cohort": cohort,
            "agency": agency,
            "queue": self.queues.unrouted,
            "arisen": day,
            "submitted": day,
            "assisted": False,
        }
        self._append(new, k)
        self.n_arisen += np.bincount(group, minlength=2)

    def _append(self, new: Mapping[str, Any], k: int) -> None:
        """Write k records (arrays, or one value for all) after the last, growing the buffers if needed."""
        n = self._size
        if n + k > len(self._buf["queue"]):
            room = n + k + max((n + k) // 4, ROOM)
            for name, b in self._buf.items():
                grown = np.empty(room, dtype=b.dtype)
                grown[:n] = b[:n]
                self._buf[name] = grown
        for name, b in self._buf.items():
            b[n : n + k] = new[name]
        self._size = n + k
        self._views()

    def _keep(self, keep: np.ndarray, back: np.ndarray = _NONE) -> None:
        """Keep the records under `keep` in order, then the records at positions `back` (ledger order)."""
        kept = np.flatnonzero(keep)  # positions once, then one gather per column
        k1, k2 = len(kept), len(back)
        for b in self._buf.values():
            # in place: the buffers live as long as the ledger (a fresh set a day would pin the heap
            # between the day's temporaries); the gathers' copies are freed at once
            moved = b[back]
            b[:k1] = b[kept]
            b[k1 : k1 + k2] = moved
        self._size = k1 + k2
        self._views()

    def take(self, mask: np.ndarray) -> dict[str, np.ndarray]:
        """Remove the records under mask and return them (order kept)."""
        out = {k: v[mask] for k, v in self.cols.items()}
        self._keep(~mask)
        self.unrouted_from = min(self.unrouted_from, self._size)
        return out

    def resubmit(self, records: dict[str, np.ndarray], queue: np.ndarray, assisted: np.ndarray, day: int) -> None:
        """Put taken records back at the end: a new attempt in a new queue."""
        records = dict(records)
        records["queue"] = queue
        records["assisted"] = assisted
        records["submitted"] = np.full(len(queue), day)
        self._append(records, len(queue))

    def unrouted_tail(self) -> int | None:
        """Where the needs waiting for a channel start, if they are exactly the ledger's tail; else None."""
        start = int(kernels.unrouted_start(self.cols["queue"], self.unrouted_from, self.queues.unrouted))
        return None if start < 0 else start

    def route_tail(self, start: int, queue: np.ndarray, assisted: np.ndarray, day: int) -> None:
        """The tail from `start` (every unrouted need, in ledger order) gets its channel, in place.

        The same order as taking them out and putting them back at the end: they are the end.
        """
        self.cols["queue"][start:] = queue
        self.cols["assisted"][start:] = assisted
        self.cols["submitted"][start:] = day
        self.unrouted_from = self._size
        self._version += 1

    def requeue(self, idx: np.ndarray, queue: np.ndarray) -> None:
        """The records at positions `idx` move to `queue` (in place: the hub forwards its mail)."""
        self.cols["queue"][idx] = queue
        self._version += 1

    def settle(
        self, closed: np.ndarray, back: np.ndarray, pending: np.ndarray | None = None, sizes: np.ndarray | None = None
    ) -> dict[str, np.ndarray]:
        """Remove the records at positions `closed` (ascending) and return them (ledger order); the
        records at `back` (ascending) go back to their citizens: to the end, unrouted.

        One compaction for the day, each column in one compiled pass: the order is the one of
        closing the records, marking the returned ones unrouted in place, then taking every
        unrouted record out and appending it. `pending` and `sizes`, the records that stay counted
        per group and per queue as `tally` counts (out-of-range codes last), are kept for the readers
        of the counts until the next change, unless a code was out of range.
        """
        out = {k: b[closed] for k, b in self._buf.items()}
        kernels.compact(tuple(self._buf.values()), self._size, closed, back)
        self._size -= len(closed)
        self._views()
        self.cols["queue"][self._size - len(back) :] = self.queues.unrouted
        self.unrouted_from = self._size - len(back)
        if pending is not None and sizes is not None and not pending[-1] and not sizes[-1]:
            self._counted = {"group": pending[:-1], "queue": sizes[:-1]}
            self._counted_at = self._version
        return out

    def queue_sizes(self) -> np.ndarray:
        """Records per queue."""
        counted = self._fresh("queue")
        return _bincount(self.cols["queue"], self.queues.count) if counted is None else counted

    def check_conservation(self) -> None:
        """Raise if any need was lost or counted twice."""
        if not np.array_equal(self.n_arisen, self.n_met + self.n_dropped + self.n_pending):
            raise AssertionError(
                f"needs not conserved: arisen={self.n_arisen} met={self.n_met} "
                f"dropped={self.n_dropped} pending={self.n_pending}"
            )


def _bincount(codes: np.ndarray, width: int) -> np.ndarray:
    """np.bincount(codes, minlength=width) as int64, in one compiled pass when every code is in
    [0, width); a code outside it goes to numpy's bincount, which counts it (and the ledger's checks
    then fail on the longer count) or refuses it."""
    counts = kernels.tally(codes, width)
    if counts[-1]:
        return np.bincount(codes, minlength=width).astype(np.int64)
    return counts[:-1]
