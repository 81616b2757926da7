"""Plain-language names of outcomes and swept keys, for tables, figures and report.md."""

from __future__ import annotations

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
    "resolution_rate": "needs resolved (share)",
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
    "equity_gap": "equity gap (connected - excluded)",
    "equity_ratio": "equity ratio (connected / excluded)",
    "unmet_needs_excluded": "unmet needs of the excluded",
    "gini_needs_met": "Gini of needs met",
    "wait_days_connected": "waiting days, connected",
    "wait_days_excluded": "waiting days, excluded",
    "burden_connected": "burden per resolved need, connected",
    "burden_excluded": "burden per resolved need, excluded",
    "regime": "regime",
    "population": "population",
    "policy.audit.metric": "what the audit counts",
    "policy.audit.quota": "audit quota per period",
    "agency.staff_capacity": "staff capacity",
    "population.internet_penetration": "internet penetration",
    "policy.inclusion.places_per_10k": "inclusion places per 10,000 a year",
    "policy.inclusion.assisted_coverage": "assisted-digital coverage",
}


def label(key: str) -> str:
    return LABELS.get(key, key.replace("_", " "))
