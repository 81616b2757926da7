"""Plain-language names, meanings, number formats and directions of outcomes, swept keys and regimes.

Used by tables, figures and report.md. Outcome meanings are read from the outcome table of
docs/ODD.md (section 6) and regime meanings from the leading comment of configs/policy/<regime>.yaml,
so each is written once.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

LABELS: dict[str, str] = {
    "account_share": "accounts (share of agencies)",
    "ghost_share": "ghost share of accounts",
    "connected_share": "connected citizens (share)",
    "posts_substantive": "substantive posts (30 days)",
    "posts_filler": "filler posts (30 days)",
    "replies": "replies (30 days)",
    "filler_share": "filler share of posts",
    "dialogue_ratio": "dialogue ratio (replies/posts)",
    "response_rate": "answered within 3 days",
    "answer_rate": "answered at all",
    "median_response_delay": "median response delay (days)",
    "misrouted_share": "misrouted requests (share)",
    "resolution_rate": "online requests resolved",
    "active_share": "connected citizens active",
    "top5_post_share": "posts by top 5 % of citizens",
    "mean_efficacy": "mean efficacy",
    "mean_trust": "mean trust",
    "mean_satisfaction": "mean satisfaction",
    "expectation_gap": "expectation gap",
    "audit_pass_rate": "audit pass rate",
    "real_engagement": "accounts resolving requests",
    "leader_reach": "opinion-leader reach",
    "mean_skill": "mean agency skill",
    "mean_motivation": "mean agency motivation",
    "mean_pressure": "mean audit pressure",
    "backlog": "request backlog",
    "needs_met_connected": "needs met, connected",
    "needs_met_excluded": "needs met, excluded",
    "needs_met_origin_connected": "needs met, connected on day 0",
    "needs_met_origin_excluded": "needs met, excluded on day 0",
    "equity_gap_origin": "equity gap by day-0 cohort",
    "mean_credibility": "mean account credibility",
    "followed_share": "follows kept (share)",
    "ever_posted_share": "connected citizens who ever posted",
    "demand_per_1k": "needs per day per 1,000 citizens",
    "backlog_per_1k": "backlog per 1,000 citizens",
    "hub_capacity_per_1k": "hub replies a day per 1,000 citizens",
    "hub_clarity": "hub clarity",
    "account_clarity": "account clarity",
    "equity_gap": "equity gap (connected - excluded)",
    "equity_ratio": "equity ratio (connected / excluded)",
    "unmet_needs_excluded": "unmet needs of the excluded",
    "gini_needs_met": "Gini of needs met",
    "wait_days_connected": "waiting days, connected",
    "wait_days_excluded": "waiting days, excluded",
    "burden_connected": "burden per resolved need, connected",
    "burden_excluded": "burden per resolved need, excluded",
    "accounts_under_100_posts": "accounts with < 100 posts",
    "accounts_over_500_posts": "accounts with > 500 posts",
    "account_growth_year1": "account growth in year 1",
    "account_growth_year2": "account growth in year 2",
    "regime": "regime",
    "population": "population",
    "policy.audit.metric": "what the audit counts",
    "policy.audit.quota": "audit quota per period",
    "agency.staff_capacity": "staff capacity",
    "population.internet_penetration": "internet penetration",
    "policy.inclusion.places_per_10k": "inclusion places per 10,000 a year",
    "policy.inclusion.assisted_coverage": "assisted-digital coverage",
    "policy.training.share_per_year": "training share per year",
    "policy.offline_diversion": "offline staff diverted",
    "agency.motivation_alpha": "motivation (Beta alpha)",
    "agency.base_compliance": "base audit compliance",
    "citizen.threshold_alpha": "participation threshold (Beta alpha)",
    "citizen.expectation_up": "expectation rise rate",
    "citizen.need_ratio_excluded": "need ratio of the excluded",
    "citizen.misroute_prob": "misrouting probability",
    "leader.relay_prob": "leader relay probability",
    "leader.follow_prob": "leader follow probability",
}


def label(key: str) -> str:
    return LABELS.get(key, key.replace("_", " "))


# shares of a whole: three decimals, CIs clipped to [0, 1] in display, bar panels of shares on one scale
SHARES = frozenset({
    "account_share", "ghost_share", "connected_share", "filler_share", "response_rate", "answer_rate",
    "misrouted_share", "resolution_rate", "active_share", "ever_posted_share", "top5_post_share", "audit_pass_rate",
    "real_engagement", "needs_met_connected", "needs_met_excluded", "needs_met_origin_connected",
    "needs_met_origin_excluded", "gini_needs_met", "accounts_under_100_posts", "accounts_over_500_posts",
    "followed_share",
})  # fmt: skip
BOUNDED = SHARES | {"gini_needs_met"}  # in [0, 1] (formatted and clipped like shares, not drawn on their scale)
COUNTS = ("posts_*", "replies", "backlog", "unmet_needs_excluded", "arisen_*", "met_*", "dropped_*", "pending_*")
# +1: more is better for citizens or engagement; -1: less is better; outcomes not listed are neither
BETTER = {
    **dict.fromkeys(("dialogue_ratio", "response_rate", "answer_rate", "resolution_rate", "active_share",
                     "real_engagement", "needs_met_connected", "needs_met_excluded", "needs_met_origin_connected",
                     "needs_met_origin_excluded", "mean_trust", "mean_credibility", "mean_satisfaction",
                     "mean_efficacy", "followed_share"), 1),
    **dict.fromkeys(("ghost_share", "filler_share", "misrouted_share", "equity_gap", "equity_gap_origin",
                     "gini_needs_met", "backlog", "backlog_per_1k", "median_response_delay", "unmet_needs_excluded",
                     "wait_days_connected", "wait_days_excluded", "burden_connected", "burden_excluded"), -1),
}  # fmt: skip


@dataclass(frozen=True)
class NumberFormat:
    """One outcome's format in a report: fixed decimals, optionally scaled (e.g. per 1,000)."""

    decimals: int = 3
    scale: int = 1

    def __call__(self, value: float, signed: bool = False) -> str:
        if value is None or math.isnan(value):
            return "–"
        text = f"{value * self.scale:{'+' if signed and value != 0 else ''},.{self.decimals}f}"
        return f"{0:.{self.decimals}f}" if not text.strip("+-0.,") else text  # no "-0.000" or "+0.000"

    @property
    def unit(self) -> str:
        return f"per {self.scale:,}" if self.scale > 1 else ""


def number_format(outcome: str, values: Iterable[float]) -> NumberFormat:
    """Shares: 0.123. Counts: integers. Others by the largest magnitude shown; below 0.01, scaled per 1,000 or more."""
    if outcome in BOUNDED:
        return NumberFormat(3)
    if any(fnmatch(outcome, c) for c in COUNTS):
        return NumberFormat(0)
    top = max((abs(v) for v in values if v is not None and math.isfinite(v)), default=0.0)
    if 0 < top < 0.01:
        scale = 1000
        while top * scale < 1:
            scale *= 10
        return NumberFormat(2, scale)
    return NumberFormat(0 if top >= 100 else 1 if top >= 10 else 2 if top >= 1 else 3)


def with_unit(key: str, fmt: NumberFormat) -> str:
    return f"{label(key)} ({fmt.unit})" if fmt.unit else label(key)


@functools.cache
def _outcome_table() -> tuple[tuple[str, str], ...]:
    odd = (REPO / "docs" / "ODD.md").read_text() if (REPO / "docs" / "ODD.md").is_file() else ""
    out = []
    for keys, text in re.findall(r"^\| (`[^|]+`) \| ([^|]+) \|$", odd, flags=re.M):
        names, parts = re.findall(r"`([^`]+)`", keys), [p.strip() for p in text.split("; ")]
        if len(parts) == len(names) > 1:  # "| `a`, `b` | what a is; what b is |"
            parts = [parts[0], *(f"{parts[0]}, {p}" if p.startswith("per ") else p for p in parts[1:])]
            out += zip(names, parts, strict=True)
        else:
            out += [(name, text.strip()) for name in names]
    return tuple(out)


def meaning(outcome: str) -> str:
    """The outcome's definition in docs/ODD.md's outcome table ('' when it has none)."""
    found = next((m for key, m in _outcome_table() if fnmatch(outcome, key)), "")
    if found.startswith("the same") and "_origin" in outcome:  # the row says "the same by cohort"
        return f"{meaning(outcome.replace('_origin', ''))}, by cohort (group on day 0)"
    return found


@functools.cache
def regime_meaning(regime: str) -> str:
    """The leading comment of configs/policy/<regime>.yaml, as one line."""
    path = REPO / "configs" / "policy" / f"{regime}.yaml"
    lines = path.read_text().splitlines() if path.is_file() else []
    head = [
        ln.lstrip("# ").strip() for ln in lines[: next((i for i, ln in enumerate(lines) if not ln.startswith("#")), 0)]
    ]
    return " ".join(h for h in head if h)
