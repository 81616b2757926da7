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

from sim.needs import GROUPS
from sim.service import DELAY_CAP, DayFlows

if TYPE_CHECKING:
    from sim.citizens import Citizens
    from sim.model import GovSimModel

_FLOWS = (
    "met_connected", "met_excluded", "dropped_connected", "dropped_excluded",
    "wait_connected", "wait_excluded", "burden_connected", "burden_excluded",
    "quality", "closed", "online_routed", "misrouted", "online_ended", "answered",
    "answered_fast", "online_resolved", "posts_substantive", "posts_filler", "replies", "resolutions",
)  # fmt: skip


# Public names, for tools that validate outcome names without running the model.
DAILY_OUTCOMES: tuple[str, ...] = (
    "account_share", "ghost_share", "connected_share", "posts_substantive", "posts_filler", "replies",
    "filler_share", "dialogue_ratio", "response_rate", "answer_rate", "median_response_delay",
    "misrouted_share", "resolution_rate", "active_share", "top5_post_share", "mean_efficacy", "mean_trust",
    "mean_satisfaction", "expectation_gap", "audit_pass_rate", "real_engagement", "leader_reach", "mean_skill",
    "mean_motivation", "mean_pressure", "backlog", "needs_met_connected", "needs_met_excluded", "equity_gap",
    "equity_ratio", "unmet_needs_excluded", "gini_needs_met",
    *(f"{kind}_{g}" for g in GROUPS for kind in ("wait_days", "burden", "arisen", "met", "dropped", "pending")),
)  # fmt: skip
SUMMARY_OUTCOMES: tuple[str, ...] = (
    *DAILY_OUTCOMES,
    "accounts_under_100_posts", "accounts_over_500_posts", "account_growth_year1", "account_growth_year2", "days",
)  # fmt: skip


def gini_of_shares(met: np.ndarray, arisen: np.ndarray) -> float:
    """Exact Gini of met/arisen over citizens with at least one need.

    Shares are ratios of small integers, so citizens are grouped by their
    (arisen, met) pair with one bincount instead of sorting the crowd.
    """
    base = int(arisen.max(initial=0)) + 1
    if base == 1:
        return 0.0
    # one bincount over the whole crowd (selecting citizens first costs more than counting them)
    counts = np.bincount(arisen * np.int32(base) + met, minlength=base * base)
    counts[:base] = 0  # citizens without needs
    keys = np.flatnonzero(counts)
    weight = counts[keys].astype(np.float64)
    share = (keys % base) / (keys // base)
    order = np.argsort(share, kind="stable")
    x, w = share[order], weight[order]
    total = float((x * w).sum())
    if total == 0:
        return 0.0
    lorenz = np.cumsum(x * w) / total
    prev = np.r_[0.0, lorenz[:-1]]
    return float(1.0 - (w * (prev + lorenz)).sum() / w.sum())


def top_share(hist: np.ndarray, top: float = 0.05) -> float:
    """Share of all posts written by the top `top` fraction of citizens.

    `hist[k]` is the number of citizens with k posts: post counts are bounded
    integers (voice is capped), so a histogram ranks the crowd in O(n).
    """
    total = int((hist * np.arange(len(hist))).sum())
    if total == 0:
        return 0.0
    n_top = int(np.ceil(top * hist.sum()))
    hist = hist[::-1]  # citizens per post count, most posts first
    values = np.arange(len(hist) - 1, -1, -1)
    before = np.cumsum(hist) - hist  # citizens ranked above each bin
    take = np.clip(n_top - before, 0, hist)
    return float((take * values).sum() / total)


def _connected_post_counts(cit: Citizens, n_conn: int) -> np.ndarray:
    """Histogram of connected citizens' post counts, without selecting them first.

    The excluded never post (posting needs a connection and nobody loses
    theirs), so they all sit in bin 0.
    """
    hist = np.bincount(cit.posts)
    hist[0] -= cit.n - n_conn
    return hist


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den > 0 else float("nan")


def _median_from_hist(hist: np.ndarray) -> float:
    n = hist.sum()
    if n == 0:
        return float("nan")
    return float(np.searchsorted(np.cumsum(hist), (n + 1) / 2))


class Recorder:
    def __init__(self, model: GovSimModel) -> None:
        self.model = model
        days = model.cfg.days
        self.flows = {k: np.zeros(days + 1) for k in _FLOWS}
        self.delays = np.zeros((days + 1, DELAY_CAP + 1), dtype=np.int64)
        self.rows: list[dict[str, float]] = []

    def push(self, day: int, f: DayFlows, agencies_day: dict[str, int]) -> None:
        """Store today's flows (before `record` reads them)."""
        for g, name in enumerate(GROUPS):
            self.flows[f"met_{name}"][day] = f.met[g]
            self.flows[f"dropped_{name}"][day] = f.dropped[g]
            self.flows[f"wait_{name}"][day] = f.wait_days[g]
            self.flows[f"burden_{name}"][day] = f.burden[g]
        self.flows["quality"][day] = f.quality
        self.flows["closed"][day] = f.met.sum() + f.dropped.sum()
        for k in ("online_routed", "misrouted", "online_ended", "answered", "answered_fast", "online_resolved"):
            self.flows[k][day] = getattr(f, k)
        for k, v in agencies_day.items():
            self.flows[k][day] = v
        self.delays[day] = f.delays

    def _window(self, day: int, window: int) -> dict[str, float]:
        lo = max(1, day - window + 1)
        out = {k: float(v[lo : day + 1].sum()) for k, v in self.flows.items()}
        out["_delays"] = self.delays[lo : day + 1].sum(axis=0)
        return out

    def outcomes(self, day: int, window: int) -> dict[str, float]:
        m = self.model
        w = self._window(day, window)
        agencies = m.agency_list
        accounts = [a for a in agencies if a.has_account]
        n_acc = len(accounts)
        cit = m.citizens
        conn = cit.connected
        n_conn = int(conn.sum())
        ledger = m.ledger
        pending = ledger.n_pending
        posts = w["posts_substantive"] + w["posts_filler"]
        met_rate = {g: _ratio(w[f"met_{g}"], w[f"met_{g}"] + w[f"dropped_{g}"]) for g in GROUPS}
        out: dict[str, float] = {
            "day": day,
            "account_share": n_acc / len(agencies),
            "ghost_share": _ratio(sum(a.is_ghost(day) for a in accounts), n_acc),
            "connected_share": n_conn / cit.n,
            "posts_substantive": w["posts_substantive"],
            "posts_filler": w["posts_filler"],
            "replies": w["replies"],
            "filler_share": _ratio(w["posts_filler"], posts),
            "dialogue_ratio": _ratio(w["replies"], posts),
            "response_rate": _ratio(w["answered_fast"], w["online_ended"]),
            "answer_rate": _ratio(w["answered"], w["online_ended"]),
            "median_response_delay": _median_from_hist(w["_delays"]),
            "misrouted_share": _ratio(w["misrouted"], w["online_routed"]),
            "resolution_rate": _ratio(w["online_resolved"], w["online_ended"]),
            "active_share": _ratio(int((cit.active_recently(day, m.cfg.metrics.window_days) & conn).sum()), n_conn),
            "top5_post_share": top_share(_connected_post_counts(cit, n_conn)),
            "mean_efficacy": float(cit.efficacy.mean()),
            "mean_trust": float(cit.trust.mean()),
            "mean_satisfaction": float(cit.satisfaction.mean()),
            "expectation_gap": float(cit.expectation.mean()) - _ratio(w["quality"], w["closed"]),
            "audit_pass_rate": m.authority.last_pass_rate,
            "real_engagement": _ratio(
                sum(a.last_resolution_day > day - m.cfg.metrics.ghost_days for a in accounts), n_acc
            ),
            "leader_reach": float(sum(leader.reach_today for leader in m.leader_list)),
            "mean_skill": float(np.mean([a.skill for a in agencies])),
            "mean_motivation": float(np.mean([a.motivation for a in agencies])),
            "mean_pressure": float(np.mean([a.pressure for a in agencies])),
            "backlog": float(len(ledger)),
            "needs_met_connected": met_rate["connected"],
            "needs_met_excluded": met_rate["excluded"],
            "equity_gap": met_rate["connected"] - met_rate["excluded"],
            "equity_ratio": _ratio(met_rate["excluded"], met_rate["connected"]),
            "unmet_needs_excluded": float(ledger.n_dropped[1] + pending[1]),
            "gini_needs_met": gini_of_shares(cit.needs_met, cit.needs_arisen),
        }
        for g, name in enumerate(GROUPS):
            out[f"wait_days_{name}"] = _ratio(w[f"wait_{name}"], w[f"met_{name}"])
            out[f"burden_{name}"] = _ratio(w[f"burden_{name}"], w[f"met_{name}"])
            out[f"arisen_{name}"] = float(ledger.n_arisen[g])
            out[f"met_{name}"] = float(ledger.n_met[g])
            out[f"dropped_{name}"] = float(ledger.n_dropped[g])
            out[f"pending_{name}"] = float(pending[g])
        return out

    def record(self, day: int) -> None:
        self.rows.append(self.outcomes(day, self.model.cfg.metrics.window_days))

    def timeseries(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)

    def summary(self) -> dict[str, float]:
        """End-of-run outcomes: states at the last day, flows over the final summary window."""
        m = self.model
        day = m.day
        out = self.outcomes(day, min(m.cfg.metrics.summary_days, day))
        out.pop("day")
        accounts = [a for a in m.agency_list if a.has_account]
        totals = np.array([a.posts_total for a in accounts])
        out["accounts_under_100_posts"] = float((totals < 100).mean()) if len(totals) else float("nan")
        out["accounts_over_500_posts"] = float((totals > 500).mean()) if len(totals) else float("nan")
        share = self.timeseries()["account_share"].to_numpy()
        out["account_growth_year1"] = _growth(m.initial_account_share, share, 365)
        out["account_growth_year2"] = _growth(share[min(364, len(share) - 1)], share, 730)
        out["days"] = float(day)
        return out


def _growth(start: float, share: np.ndarray, day: int) -> float:
    """Relative growth of the account count from `start` to `day` (NaN if the run is shorter)."""
    if day > len(share):
        return float("nan")
    return _ratio(share[day - 1] - start, start)
