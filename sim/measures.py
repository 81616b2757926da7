"""The outcomes, declared once: key, short label, one-line meaning, unit, daily or summary-only.

Like EMA Workbench's outcome objects, each outcome is a small frozen object;
everything that names outcomes is generated from `OUTCOMES`: the recorder's
published names (`DAILY_OUTCOMES`, `SUMMARY_OUTCOMES`), the summary table of
`python -m sim` (`HEADLINE`), the labels of experiment tables and figures,
and the dashboard's key numbers (`MONITORS`).

The daily outcomes are read every day (flows over the last `window_days`,
states at the day); the run summary reads the same outcomes at the last day
with flows over the final `summary_days` and adds the summary-only ones.
Group outcomes (`*_connected`, `*_excluded`) use the citizen's group when the
need arose; `origin` outcomes use the cohort (excluded on day 0).

This module imports nothing from the model, so tools can validate outcome
names without loading Mesa.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.needs import GROUPS


@dataclass(frozen=True)
class Unit:
    """How an outcome is measured and written: a name, what it means, decimals, bounds."""

    name: str
    meaning: str
    decimals: int
    bounds: tuple[float, float] | None = None  # the values it can take (None: unbounded)

    def format(self, value: float | None) -> str:
        """The value with this unit's decimals ('–' for a missing or undefined value)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "–"
        return f"{value:,.{self.decimals}f}"


SHARE = Unit("share", "a fraction of a whole, in [0, 1]", 3, (0.0, 1.0))
GAP = Unit("gap", "a difference of two shares, in [-1, 1]", 3, (-1.0, 1.0))
SCORE = Unit("score", "a mean of a belief or trait scored in [0, 1]", 3, (0.0, 1.0))
RATE = Unit("rate", "a ratio of two quantities, may exceed 1", 3, (-math.inf, math.inf))
LEVEL = Unit("level", "a mean of an unbounded state", 3, (0.0, math.inf))
COUNT = Unit("count", "a number of needs, posts or replies", 0, (0.0, math.inf))
DAYS = Unit("days", "days", 1, (0.0, math.inf))
PER_1K = Unit("per 1k", "per 1,000 citizens", 2, (0.0, math.inf))
BURDEN = Unit("burden", "burden units (an online attempt = 1) per met need", 2, (0.0, math.inf))
UNITS: tuple[Unit, ...] = (SHARE, GAP, SCORE, RATE, LEVEL, COUNT, DAYS, PER_1K, BURDEN)


@dataclass(frozen=True)
class Outcome:
    """One outcome's declaration."""

    key: str  # the column of the time series / key of the summary
    label: str  # short plain-language name for tables, figures and the dashboard
    meaning: str  # one line: how it is computed
    unit: Unit
    daily: bool = True  # False: in the run summary only
    better: int = 0  # +1 more is better (for citizens or engagement), -1 less is better, 0 neither
    headline: bool = False  # in the summary table that `python -m sim` prints
    monitor: bool = False  # among the dashboard's key numbers

    def format(self, value: float | None) -> str:
        return self.unit.format(value)


def _needs_met(origin: bool) -> tuple[Outcome, ...]:
    """Needs met / needs closed in the window, one outcome per group (at arrival) or per day-0 cohort."""
    stem, when = ("needs_met_origin", "on day 0") if origin else ("needs_met", "when the need arose")
    return tuple(
        Outcome(
            f"{stem}_{g}",
            f"needs met, {g} on day 0" if origin else f"needs met, {g}",
            f"needs met / needs closed (met + dropped) in the window, of citizens {g} {when}",
            SHARE,
            better=1,
            monitor=not origin,
            headline=not origin,
        )
        for g in GROUPS
    )


def _group_tallies() -> tuple[Outcome, ...]:
    """Waiting days, burden and the need ledger by group, in the recorder's order (group by group)."""
    kinds = (
        ("wait_days", "waiting days", "mean days from need to resolution of needs met in the window", DAYS, -1),
        ("burden", "burden per resolved need", "burden units spent per need met in the window", BURDEN, -1),
        ("arisen", "needs arisen so far", "needs arisen since day 0 (arisen = met + dropped + pending)", COUNT, 0),
        ("met", "needs met so far", "needs met since day 0", COUNT, 0),
        ("dropped", "needs dropped so far", "needs dropped since day 0 (patience ran out)", COUNT, 0),
        ("pending", "needs pending now", "needs open now", COUNT, 0),
    )
    return tuple(
        Outcome(f"{kind}_{g}", f"{label}, {g}", f"{meaning}; {g} (group when the need arose)", unit, better=better)
        for g in GROUPS
        for kind, label, meaning, unit, better in kinds
    )


OUTCOMES: tuple[Outcome, ...] = (
    Outcome(
        "account_share", "accounts (share of agencies)", "agencies with an account / all agencies", SHARE, headline=True
    ),
    Outcome(
        "ghost_share",
        "ghost share of accounts",
        "open accounts with no substantive post and no reply in `ghost_days` / open accounts",
        SHARE,
        better=-1,
        headline=True,
        monitor=True,
    ),
    Outcome("connected_share", "connected citizens (share)", "connected citizens / all citizens", SHARE),
    Outcome("posts_substantive", "substantive posts (30 days)", "substantive posts in the window", COUNT),
    Outcome("posts_filler", "filler posts (30 days)", "filler posts (health tips, weather) in the window", COUNT),
    Outcome("replies", "replies (30 days)", "replies in the window (boilerplate and hub replies included)", COUNT),
    Outcome(
        "filler_share",
        "filler share of posts",
        "filler / all posts in the window",
        SHARE,
        better=-1,
        headline=True,
        monitor=True,
    ),
    Outcome(
        "dialogue_ratio",
        "dialogue ratio (replies/posts)",
        "replies / posts in the window",
        RATE,
        better=1,
        headline=True,
        monitor=True,
    ),
    Outcome(
        "response_rate",
        "answered within 3 days",
        "online attempts answered within `response_days` / online attempts ended (answered or withdrawn)",
        SHARE,
        better=1,
        headline=True,
        monitor=True,
    ),
    Outcome(
        "answer_rate",
        "answered at all",
        "online attempts answered at all / online attempts ended",
        SHARE,
        better=1,
        headline=True,
    ),
    Outcome(
        "median_response_delay",
        "median response delay (days)",
        "median days from an online attempt to its answer",
        DAYS,
        better=-1,
    ),
    Outcome(
        "misrouted_share",
        "misrouted requests (share)",
        "online attempts sent to a wrong agency's account / online attempts",
        SHARE,
        better=-1,
        monitor=True,
    ),
    Outcome(
        "resolution_rate",
        "online requests resolved",
        "online attempts that resolved the need / online attempts ended",
        SHARE,
        better=1,
        headline=True,
    ),
    Outcome(
        "active_share",
        "connected citizens active",
        "connected citizens who posted in the last `window_days` / connected",
        SHARE,
        better=1,
        headline=True,
    ),
    Outcome(
        "ever_posted_share",
        "connected citizens who ever posted",
        "connected citizens who have posted at least once since day 0 / connected",
        SHARE,
    ),
    Outcome(
        "top5_post_share",
        "posts by top 5 % of citizens",
        "share of the connected's posts since day 0 written by the top 5 % of them",
        SHARE,
        headline=True,
    ),
    Outcome(
        "mean_efficacy",
        "mean efficacy",
        "mean efficacy (belief that asking online helps) over citizens",
        SCORE,
        better=1,
    ),
    Outcome("mean_trust", "mean trust", "mean trust in the accounts over citizens", SCORE, better=1, headline=True),
    Outcome("mean_satisfaction", "mean satisfaction", "mean satisfaction record over citizens", SCORE, better=1),
    Outcome("expectation_gap", "expectation gap", "mean expectation - mean quality of needs closed in the window", GAP),
    Outcome(
        "audit_pass_rate",
        "audit pass rate",
        "share of audited accounts that passed the last audit (what the authority sees)",
        SHARE,
        headline=True,
        monitor=True,
    ),
    Outcome(
        "real_engagement",
        "accounts resolving requests",
        "share of open accounts that resolved a request in the last `ghost_days` (what citizens get)",
        SHARE,
        better=1,
        headline=True,
    ),
    Outcome(
        "leader_reach", "opinion-leader reach", "follower exposures to relayed posts today, per connected citizen", RATE
    ),
    Outcome("mean_skill", "mean agency skill", "mean communication skill over agencies", SCORE),
    Outcome("mean_motivation", "mean agency motivation", "mean intrinsic motivation over agencies", SCORE),
    Outcome("mean_pressure", "mean audit pressure", "mean audit pressure over agencies", LEVEL),
    Outcome("backlog", "request backlog", "open needs now", COUNT, better=-1),
    Outcome("backlog_per_1k", "backlog per 1,000 citizens", "open needs now per 1,000 citizens", PER_1K, better=-1),
    Outcome(
        "demand_per_1k",
        "needs per day per 1,000 citizens",
        "needs arisen per day in the window, per 1,000 citizens",
        PER_1K,
    ),
    Outcome("mean_credibility", "mean account credibility", "mean credibility over open accounts", SCORE, better=1),
    Outcome(
        "followed_share",
        "follows kept (share)",
        "home follow slots of connected citizens on open accounts still followed / all such slots",
        SHARE,
        better=1,
    ),
    Outcome(
        "hub_capacity_per_1k",
        "hub replies a day per 1,000 citizens",
        "mean daily one-stop hub capacity (replies) in the window, per 1,000 citizens",
        PER_1K,
    ),
    Outcome("hub_clarity", "hub clarity", "mean clarity of the hub over the days it was open in the window", SCORE),
    Outcome("account_clarity", "account clarity", "mean clarity of open accounts now", SCORE),
    *_needs_met(origin=False),
    Outcome(
        "equity_gap",
        "equity gap (connected - excluded)",
        "needs_met_connected - needs_met_excluded",
        GAP,
        better=-1,
        headline=True,
    ),
    Outcome("equity_ratio", "equity ratio (connected / excluded)", "needs_met_excluded / needs_met_connected", RATE),
    *_needs_met(origin=True),
    Outcome(
        "equity_gap_origin",
        "equity gap by day-0 cohort",
        "needs_met_origin_connected - needs_met_origin_excluded",
        GAP,
        better=-1,
    ),
    Outcome(
        "unmet_needs_excluded",
        "unmet needs of the excluded",
        "needs of the excluded (at arrival) dropped so far + pending now",
        COUNT,
        better=-1,
    ),
    Outcome(
        "gini_needs_met",
        "Gini of needs met",
        "Gini of each citizen's share of needs met since day 0, over citizens with a need",
        SHARE,
        better=-1,
        headline=True,
    ),
    *_group_tallies(),
    Outcome(
        "accounts_under_100_posts",
        "accounts with < 100 posts",
        "share of open accounts with fewer than 100 posts in total (filler included)",
        SHARE,
        daily=False,
    ),
    Outcome(
        "accounts_over_500_posts",
        "accounts with > 500 posts",
        "share of open accounts with more than 500 posts in total (filler included)",
        SHARE,
        daily=False,
    ),
    Outcome(
        "account_growth_year1",
        "account growth in year 1",
        "(account share on day 365 - share on day 0) / share on day 0",
        RATE,
        daily=False,
    ),
    Outcome(
        "account_growth_year2",
        "account growth in year 2",
        "(account share on day 730 - share on day 365) / share on day 365",
        RATE,
        daily=False,
    ),
    Outcome("days", "days run", "length of the run in days", COUNT, daily=False),
)
OUTCOME_BY_KEY: dict[str, Outcome] = {o.key: o for o in OUTCOMES}

# published names, in the recorder's order (a test runs the model and compares)
DAILY_OUTCOMES: tuple[str, ...] = tuple(o.key for o in OUTCOMES if o.daily)
SUMMARY_OUTCOMES: tuple[str, ...] = tuple(o.key for o in OUTCOMES)
HEADLINE: tuple[Outcome, ...] = tuple(o for o in OUTCOMES if o.headline)
MONITORS: tuple[Outcome, ...] = tuple(o for o in OUTCOMES if o.monitor)
