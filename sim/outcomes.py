"""Outcomes: the daily time series and the end-of-run summary.

Flows (needs met, replies, posts...) are stored per day and read over a
rolling window (30 days in the time series, the final `summary_days` in the
summary); states (accounts, beliefs, activity) are read off the model. Every
quantity is O(citizens) at most (histograms, never a sort of the crowd),
so recording every day stays cheap at a million citizens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from sim import kernels
from sim.measures import DAILY_OUTCOMES, SUMMARY_OUTCOMES  # noqa: F401  (public names, declared once there)
from sim.needs import GROUPS
from sim.service import DELAY_CAP, AgencyDay, DayFlows

if TYPE_CHECKING:
    from sim.model import GovSimModel

# the flow table's rows: `Recorder.push` writes a day's column in this order
FLOWS = (
    "met_connected",
    "met_excluded",
    "dropped_connected",
    "dropped_excluded",
    "met_origin_connected",
    "met_origin_excluded",
    "dropped_origin_connected",
    "dropped_origin_excluded",
    "wait_connected",
    "wait_excluded",
    "burden_connected",
    "burden_excluded",
    "quality",
    "closed",
    "online_routed",
    "misrouted",
    "online_ended",
    "answered",
    "answered_fast",
    "online_resolved",
    "posts_substantive",
    "posts_filler",
    "replies",
    "resolutions",
    "needs_arisen",
    "hub_capacity",
    "hub_clarity",
    "hub_days",
)

# the states the daily outcomes read, one column each in `Recorder.state` (in `Recorder._state`'s order)
_STATE = (
    "n_active",
    "n_ever_posted",
    "n_connected",
    "top5_post_share",
    "mean_efficacy",
    "mean_trust",
    "mean_satisfaction",
    "mean_expectation",
    "n_open_slots",
    "n_unfollowed",
    "n_accounts",
    "n_ghosts",
    "n_recent_resolution",
    "mean_skill",
    "mean_motivation",
    "mean_pressure",
    "mean_credibility",
    "account_clarity",
    "audit_pass_rate",
    "leader_reach",
    "backlog",
    "pending_connected",
    "pending_excluded",
    "arisen_connected",
    "arisen_excluded",
    "met_connected",
    "met_excluded",
    "dropped_connected",
    "dropped_excluded",
    "gini_needs_met",
)


def gini_of_shares(pairs: np.ndarray) -> float:
    """Exact Gini of met/arisen over citizens with at least one need.

    Shares are ratios of small integers, so citizens are grouped by their
    (arisen, met) pair instead of sorting the crowd: `pairs[arisen, met]` counts
    them (a square table, at least max(arisen) + 1 wide). The pairs are sorted by
    share, weighted by their counts, and the Gini is one minus twice the area under
    the Lorenz curve (trapezoids), summed as numpy sums (`kernels.gini_of_pairs`).
    """
    return float(kernels.gini_of_pairs(pairs))


class TopShare:
    """Share of all posts written by the top 5 % of the connected, in O(crowd) compares a day.

    Post counts only grow, so the citizens at or above yesterday's cut-off
    still include today's top group: only they are partitioned.
    """

    def __init__(self, top: float = 0.05) -> None:
        self.top = top
        self.cutoff = 0

    def __call__(self, posts: np.ndarray, n: int, total: int, candidates: np.ndarray) -> float:
        """`posts` of every citizen, `total` their sum; `n` connected; `candidates` the posts at or above
        `self.cutoff` (any order). Only the connected post, so the rest add zeros."""
        if total == 0:
            return 0.0
        n_top = int(np.ceil(self.top * n))
        # too few candidates when the group grew (inclusion): the kernel starts from everyone
        heaviest, cutoff = kernels.top_posts(candidates, posts, n_top)
        self.cutoff = int(cutoff)
        return float(heaviest / total)


def _ratio(num: ArrayLike, den: ArrayLike) -> np.ndarray:
    """num / den elementwise, NaN where den is not positive (float64, as Python's float division rounds)."""
    out = np.full(np.shape(num), np.nan)
    return np.divide(num, den, out=out, where=np.asarray(den) > 0)


# the days whose account share the summary's growth outcomes read (the ends of years 1 and 2)
YEAR_MARKS = (365, 730)


class Recorder:
    """The day's flows every day; the states every `record_every`-th day, the summary's year marks and
    the last day. No rule of the model reads the recorder, so a recorded day's outcomes are the same
    whichever other days are recorded (a test compares them): the cadence only saves the work."""

    def __init__(self, model: GovSimModel, record_every: int = 1) -> None:
        if isinstance(record_every, bool) or not isinstance(record_every, int | np.integer) or record_every < 1:
            raise ValueError(f"invalid record_every={record_every!r}; allowed: a whole number >= 1")
        self.model = model
        self.record_every = int(record_every)
        days = model.cfg.days
        self.marks = {*YEAR_MARKS, days}
        # one row per flow, so a window is one reduction (each row summed as a 1-d sum would be)
        self.flow_table = np.zeros((len(FLOWS), days + 1))
        self.delays = np.zeros((days + 1, DELAY_CAP + 1), dtype=np.int64)
        # one row of `_STATE` per recorded day: the outcomes are computed from these and the flows
        self.state = np.zeros((days + 1, len(_STATE)))
        self.days: list[int] = []
        self.top_share = TopShare()
        self._holders_key = -1
        self._holders = np.zeros(0, dtype=np.int64)
        self._online = np.zeros(0, dtype=bool)  # the citizens counted in _holders

    def push(self, day: int, f: DayFlows, today: AgencyDay) -> None:
        """Store today's flows (before `record` reads them): one column of the flow table, in `FLOWS` order."""
        self.flow_table[:, day] = np.concatenate((
            f.met, f.dropped, f.met_cohort, f.dropped_cohort, f.wait_days, f.burden,
            [f.quality, f.met.sum() + f.dropped.sum(), f.online_routed, f.misrouted, f.online_ended, f.answered,
             f.answered_fast, f.online_resolved, today.substantive.sum(), today.filler.sum(),
             f.replied.sum() + f.hub_replied, f.resolved.sum(), f.arisen, today.hub_capacity, today.hub_clarity,
             today.hub_active],
        ), dtype=np.float64)  # fmt: skip
        self.delays[day] = f.delays

    def _slot_holders(self, connected: np.ndarray, n_connected: int) -> np.ndarray:
        """Follow slots of connected citizens by home agency, counted from the citizens who came online
        since the last count (they are never disconnected, so the connected count says when)."""
        if self._holders_key != n_connected:
            home = self.model.citizens.home_agency
            if self._holders_key < 0:
                self._online = np.zeros(len(connected), dtype=bool)
                self._holders = np.zeros(self.model.agencies.n, dtype=np.int64)
            new = connected & ~self._online
            self._holders += np.bincount(home[:, new].ravel(), minlength=len(self._holders))  # homes are real agencies
            self._online |= new
            self._holders_key = n_connected
        return self._holders

    def _state(self, day: int) -> np.ndarray:
        """The model's states an outcome reads on `day` (`_STATE`, as float64: the counts are exact)."""
        m = self.model
        ag = m.agencies
        acc = ag.has_account
        cit = m.citizens
        conn = cit.connected
        # the crowd's counts, the top-share candidates and the (arisen, met) pairs in one kernel call
        counts, candidates, pairs = kernels.crowd_pass(
            cit.last_active, day - m.cfg.metrics.window_days, cit.posts, conn, cit.needs_arisen, cit.needs_met,
            self.top_share.cutoff, int(cit.needs_arisen.max(initial=0)) + 1,
        )  # fmt: skip
        n_active, n_ever, n_conn, total_posts = counts.tolist()
        ledger = m.ledger
        # follow slots open to an account (connected holder, home agency with an account), and those unfollowed
        n_open = int(self._slot_holders(conn, n_conn)[acc].sum())
        # accounts, ghosts, accounts with a resolution in the ghost window; agency means (sim/_jit.py)
        ghost_days = m.cfg.metrics.ghost_days
        agency_counts, agency_means = kernels.agency_outcomes(
            acc, ag.ghost(day, ghost_days), ag.last_resolution_day, day - ghost_days, ag.skill, ag.motivation,
            ag.pressure, ag.credibility(m.cfg), ag.clarity(m.cfg),
        )  # fmt: skip
        return np.concatenate((
            [n_active, n_ever, n_conn, self.top_share(cit.posts, n_conn, total_posts, candidates)],
            kernels.crowd_means(cit.efficacy, cit.trust, cit.satisfaction, cit.expectation),
            [n_open, int(cit.unfollowed[acc].sum())], agency_counts, agency_means,
            [m.authority.last_pass_rate, m.leaders.reach(), len(ledger)], ledger.n_pending, ledger.n_arisen,
            ledger.n_met, ledger.n_dropped, [gini_of_shares(pairs)],
        ), dtype=np.float64)  # fmt: skip

    def _columns(self, days: np.ndarray, window: int, state: np.ndarray) -> dict[str, np.ndarray]:
        """The outcomes of `days` (one row of `state` each) over windows of `window` days, column-wise.

        Elementwise float64 arithmetic in the order of the scalar rules: each value is the one
        the rule gives for its day alone."""
        m = self.model
        sums, median_delay = kernels.window_table(self.flow_table, days, window, self.delays)
        w = dict(zip(FLOWS, sums, strict=True))
        s = dict(zip(_STATE, state.T, strict=True))
        span = np.maximum(1, np.minimum(window, days))
        per_1k = 1000.0 / m.citizens.n
        n_conn, n_acc = s["n_connected"], s["n_accounts"]
        posts = w["posts_substantive"] + w["posts_filler"]
        met_rate = {g: _ratio(w[f"met_{g}"], w[f"met_{g}"] + w[f"dropped_{g}"]) for g in GROUPS}
        origin = {g: _ratio(w[f"met_origin_{g}"], w[f"met_origin_{g}"] + w[f"dropped_origin_{g}"]) for g in GROUPS}
        out: dict[str, np.ndarray] = {
            "day": days,
            "account_share": n_acc / m.agencies.n,
            "ghost_share": _ratio(s["n_ghosts"], n_acc),
            "connected_share": n_conn / m.citizens.n,
            "posts_substantive": w["posts_substantive"],
            "posts_filler": w["posts_filler"],
            "replies": w["replies"],
            "filler_share": _ratio(w["posts_filler"], posts),
            "dialogue_ratio": _ratio(w["replies"], posts),
            "response_rate": _ratio(w["answered_fast"], w["online_ended"]),
            "answer_rate": _ratio(w["answered"], w["online_ended"]),
            "median_response_delay": median_delay,
            "misrouted_share": _ratio(w["misrouted"], w["online_routed"]),
            "resolution_rate": _ratio(w["online_resolved"], w["online_ended"]),
            # only the connected post (Citizens.participate), so activity needs no connected mask
            "active_share": _ratio(s["n_active"], n_conn),
            "ever_posted_share": _ratio(s["n_ever_posted"], n_conn),
            "top5_post_share": s["top5_post_share"],
            "mean_efficacy": s["mean_efficacy"],
            "mean_trust": s["mean_trust"],
            "mean_satisfaction": s["mean_satisfaction"],
            "expectation_gap": s["mean_expectation"] - _ratio(w["quality"], w["closed"]),
            "audit_pass_rate": s["audit_pass_rate"],
            "real_engagement": _ratio(s["n_recent_resolution"], n_acc),
            "leader_reach": s["leader_reach"] / np.maximum(n_conn, 1),
            "mean_skill": s["mean_skill"],
            "mean_motivation": s["mean_motivation"],
            "mean_pressure": s["mean_pressure"],
            "backlog": s["backlog"],
            "backlog_per_1k": s["backlog"] * per_1k,
            "demand_per_1k": w["needs_arisen"] / span * per_1k,
            "mean_credibility": s["mean_credibility"],
            "followed_share": _ratio(s["n_open_slots"] - s["n_unfollowed"], s["n_open_slots"]),
            "hub_capacity_per_1k": w["hub_capacity"] / span * per_1k,
            "hub_clarity": _ratio(w["hub_clarity"], w["hub_days"]),
            "account_clarity": s["account_clarity"],
            "needs_met_connected": met_rate["connected"],
            "needs_met_excluded": met_rate["excluded"],
            "equity_gap": met_rate["connected"] - met_rate["excluded"],
            "equity_ratio": _ratio(met_rate["excluded"], met_rate["connected"]),
            "needs_met_origin_connected": origin["connected"],
            "needs_met_origin_excluded": origin["excluded"],
            "equity_gap_origin": origin["connected"] - origin["excluded"],
            "unmet_needs_excluded": s["dropped_excluded"] + s["pending_excluded"],
            "gini_needs_met": s["gini_needs_met"],
        }
        for name in GROUPS:
            out[f"wait_days_{name}"] = _ratio(w[f"wait_{name}"], w[f"met_{name}"])
            out[f"burden_{name}"] = _ratio(w[f"burden_{name}"], w[f"met_{name}"])
            for count in ("arisen", "met", "dropped", "pending"):
                out[f"{count}_{name}"] = s[f"{count}_{name}"]
        return out

    def _one(self, day: int, window: int, state: np.ndarray) -> dict[str, float]:
        return {k: v.tolist()[0] for k, v in self._columns(np.array([day]), window, state[None]).items()}

    def outcomes(self, day: int, window: int) -> dict[str, float]:
        """The outcomes of `day` over a window of `window` days, read off the model now."""
        return self._one(day, window, self._state(day))

    def record(self, day: int) -> None:
        """Today's states, on a recorded day; the outcomes are computed from them (and the flows) when read."""
        if day % self.record_every and day not in self.marks:
            return
        self.state[len(self.days)] = self._state(day)
        self.days.append(day)

    def columns(self) -> dict[str, np.ndarray]:
        """The daily outcomes of every recorded day, column-wise."""
        n = len(self.days)
        # a copy of the states: the columns passed through must not alias the recorder's table
        states = self.state[:n].copy()
        return self._columns(np.array(self.days, dtype=np.int64), self.model.cfg.metrics.window_days, states)

    def _on(self, day: int) -> dict[str, float]:
        """The daily outcomes of recorded day `day` ({} if it was not recorded)."""
        if day not in self.days:
            return {}
        row = self.days.index(day)
        return self._one(day, self.model.cfg.metrics.window_days, self.state[row])

    def latest(self) -> dict[str, float]:
        """The daily outcomes of the last recorded day ({} before the first)."""
        if not self.days:
            return {}
        return self._one(self.days[-1], self.model.cfg.metrics.window_days, self.state[len(self.days) - 1])

    def timeseries(self) -> pd.DataFrame:
        return pd.DataFrame(self.columns())

    def summary(self) -> dict[str, float]:
        """End-of-run outcomes: states at the last day, flows over the final summary window."""
        m = self.model
        day = m.day
        out = self.outcomes(day, min(m.cfg.metrics.summary_days, day))
        out.pop("day")
        totals = m.agencies.posts_total[m.agencies.has_account]
        out["accounts_under_100_posts"] = float((totals < 100).mean()) if len(totals) else float("nan")
        out["accounts_over_500_posts"] = float((totals > 500).mean()) if len(totals) else float("nan")
        # the account share on days 365 and 730, as the time series has it (NaN if the run is shorter)
        year1, year2 = (self._on(mark) for mark in YEAR_MARKS)
        out["account_growth_year1"] = _growth(m.initial_account_share, year1.get("account_share"))
        out["account_growth_year2"] = _growth(year1.get("account_share"), year2.get("account_share"))
        out["days"] = float(day)
        return out


def _growth(start: float | None, end: float | None) -> float:
    """Relative growth of the account share from `start` to `end` (NaN if the run did not reach `end`)."""
    if start is None or end is None:
        return float("nan")
    return float(_ratio(end - start, start))
