"""Structured configuration: one dataclass per part of the model, one declaration per parameter.

Each leaf is declared once, with `param(...)`: its default, its allowed
range, what it means, its unit and its source. Hydra validates YAML files and
overrides against the dataclasses (unknown keys and wrong types fail on
load); `validate` reads the ranges from the same declarations; the ODD
parameter table (`python -m sim.parameters`) is generated from them.

Sources name the article ("article"), a publication, or say
"modelling choice: <reason>". A parameter marked `reporting` changes what is
measured, not what any agent does (its reason is its source).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

SECTORS: tuple[str, ...] = (
    "public_security",
    "health",
    "transport",
    "civil_affairs",
    "education",
    "environment",
    "housing",
    "social_security",
)
LEVELS: tuple[str, ...] = ("province", "city", "district")
AUDIT_METRICS: tuple[str, ...] = ("none", "posts", "replies", "resolutions")

UNIT = (0.0, 1.0)  # a probability or a share
POSITIVE = (0.0, math.inf, "exclusive")  # strictly positive (shape parameters, costs)
COUNT = (1, math.inf)  # a whole number >= 1
NONNEGATIVE = (0.0, math.inf)


class ConfigError(ValueError):
    """A configuration value outside what the model allows (one-line message)."""


@dataclass(frozen=True)
class FixedFactor:
    """A former parameter fixed at its default: screened over its plausible range, it moved no outcome above
    the noise floor (Saltelli et al. 2004, factor fixing), so it is a constant of the model, not a config key."""

    key: str  # the config key it had, so readers and old configs can find it
    value: float
    meaning: str
    unit: str
    evidence: str


FIXED_FACTORS: dict[str, FixedFactor] = {}


def fixed(key: str, value: float, meaning: str, evidence: str, unit: str = "") -> float:
    """Declare a fixed factor once (rendered in the ODD's table of fixed factors) and return its value."""
    FIXED_FACTORS[key] = FixedFactor(key, value, meaning, unit, evidence)
    return value


def _not_confirmed(round_: int, screen: str, ratio: str, outcome: str) -> str:
    """Why a fixed factor is fixed: the screens that left it under its floor, and the confirmation that failed."""
    screened, confirmed = {1: ("2992081", "4700c07"), 2: ("32a520f", "988c16f")}[round_]
    return (
        "below its noise floor on every outcome of the screens results/sensitivity and "
        f"results/sensitivity_quality at commit {screened}, and not confirmed by the pre-registered screen "
        f"that reproduces at commit {confirmed} (results/{screen}: {ratio} x the floor on {outcome})"
    )


FILLER_HOURS = fixed(
    "agency.cost_filler",
    0.1,
    "staff hours per filler post (health tips, weather)",
    "article: district accounts 'posted health and weather news' to pass scrutiny; copying news takes "
    "minutes. Over 0.05-0.15 h: " + _not_confirmed(1, "sensitivity_confirm", "0.70", "filler share"),
    unit="hours",
)
BOILERPLATE_COST_FACTOR = fixed(
    "agency.boilerplate_cost_factor",
    0.3,
    "cost of a boilerplate reply relative to a real one (agency.cost_reply)",
    "modelling choice: form answers are cheap. Over 0.15-0.45: "
    + _not_confirmed(1, "sensitivity_confirm_replies", "0.59", "resolutions"),
)
CITIZEN_SKILL_BETA = fixed(
    "citizen.skill_beta",
    2.0,
    "Beta shape b of digital skill of the connected (shape a is citizen.skill_alpha)",
    "only the mean skill acts (misrouting is linear in skill), so one shape suffices; a was confirmed "
    "(1.63 x its floor on answers), b over 1-3: " + _not_confirmed(1, "sensitivity_confirm", "0.81", "answers"),
)
POPULARITY_ALPHA = fixed(
    "leader.popularity_alpha",
    1.2,
    "Pareto shape of leader popularity (follower draw weights)",
    "modelling choice: heavy-tailed audiences (article: 'influential opinion leaders'). Over 0.6-1.8: "
    + _not_confirmed(1, "sensitivity_confirm", "0.78", "the share who ever posted"),
)
AGENCIES_WATCHED = int(
    fixed(
        "leader.agencies_watched",
        12,
        "agency accounts each leader watches",
        "modelling choice. Over 6-18: " + _not_confirmed(1, "sensitivity_confirm", "0.76", "the share who ever posted"),
    )
)
ADOPTION_IMITATION = fixed(
    "agency.adoption_imitation",
    0.002,
    "Bass imitation q per day (peers with accounts; innovation p is agency.adoption_innovation)",
    "modelling choice: slow voluntary diffusion (Ma 2013, police bureaus). Over 0.001-0.003, without a "
    "mandate: " + _not_confirmed(2, "sensitivity_confirm_adoption", "0.83", "answers"),
    unit="1/day",
)
CRITICISM_THRESHOLD = fixed(
    "leader.criticism_threshold",
    0.3,
    "responsiveness under which a leader criticises a watched account (leader.criticism_prob acts)",
    "modelling choice. Over 0.15-0.45: " + _not_confirmed(2, "sensitivity_confirm", "0.95", "demand per 1,000"),
)


def param(
    default: Any,
    meaning: str,
    source: str,
    *,
    allowed: tuple = NONNEGATIVE,
    unit: str = "",
    reporting: bool = False,
    label: str = "",
    lever: bool | tuple[float, float, float] = False,
    short: str = "",
) -> Any:
    """A config leaf with its one declaration: default, range, meaning, source, unit, label, lever.

    `allowed` is (low, high) for numbers (POSITIVE excludes 0) or the tuple of
    allowed strings. A list default is a weight vector (non-negative, positive sum).
    `label` is a short plain-language name for tables, figures and the dashboard
    (experiments/labels.py). `lever` marks a dashboard lever: True shows it over
    its allowed range, (low, high, step) gives the dashboard's own slider range; `short`
    names a lever's change on the dashboard's plots (`quota 30`, `hub on`; default the key's last part).
    """
    meta = {
        "meaning": meaning,
        "source": source,
        "allowed": allowed,
        "unit": unit,
        "reporting": reporting,
        "label": label,
        "lever": lever,
        "short": short,
    }
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


def _choice(default: str, meaning: str, source: str, allowed: tuple[str, ...], **extra: Any) -> Any:
    return param(default, meaning, source, allowed=allowed, **extra)


@dataclass
class PopulationConfig:
    name: str = param("city", "name of the population preset", "config group `population`", allowed=())
    n_citizens: int = param(
        10_000,
        "citizens (connected + excluded)",
        "modelling choice: a city that runs in about a second; shares and rates do not depend on it (ODD §2, population rule)",
        allowed=COUNT,
        label="citizens",
        lever=True,
    )
    n_districts: int | None = param(
        None,
        "districts, one agency per sector in each; null = follow the population "
        "rule n_citizens / citizens_per_district",
        "population rule (ODD §2, population rule)",
        allowed=COUNT,
    )
    n_leaders: int | None = param(
        None,
        "opinion leaders; null = n_citizens / citizens_per_leader",
        "population rule (ODD §2, population rule)",
        allowed=COUNT,
    )
    citizens_per_district: float = param(
        770.0,
        "citizens per district when n_districts is null",
        "modelling choice: 13 districts for 10,000 citizens keeps every district "
        "agency's caseload a few requests a day",
        allowed=POSITIVE,
        unit="citizens",
    )
    citizens_per_leader: float = param(
        333.0,
        "citizens per opinion leader when n_leaders is null",
        "modelling choice: 30 leaders for 10,000 citizens; each follower sees one "
        "or two of them (article: 'influential opinion leaders')",
        allowed=POSITIVE,
        unit="citizens",
    )
    internet_penetration: float = param(
        0.479,
        "share of citizens connected on day 0",
        "CNNIC, 35th report (Jan 2015): 47.9 % penetration in Dec 2014",
        allowed=UNIT,
        label="internet penetration",
        lever=(0.0, 1.0, 0.01),
    )
    ties_per_citizen: float = param(
        6.0,
        "mean number of social ties inside the district",
        "modelling choice: a handful of close contacts who see each other's posts",
        unit="ties",
    )


@dataclass
class AgencyConfig:
    motivation_alpha: float = param(
        0.35,
        "Beta shape a of intrinsic motivation (mean a/(a+b))",
        "calibrated to P2 (results/calibration_agencies); article: use 'depends on the enthusiasm and industriousness of officials'",
        allowed=POSITIVE,
        label="motivation (Beta alpha)",
    )
    motivation_beta: float = param(1.5, "Beta shape b of intrinsic motivation", "as motivation_alpha", allowed=POSITIVE)
    skill_alpha: float = param(
        2.0,
        "Beta shape a of communication skill (mean 0.29)",
        "article: officials 'without sufficient training' (C8); modelling choice: most below one half",
        allowed=POSITIVE,
    )
    skill_beta: float = param(5.0, "Beta shape b of communication skill", "as skill_alpha", allowed=POSITIVE)
    staff_capacity: float = param(
        1.0,
        "multiplier of all agency staff time (the capacity lever)",
        "modelling choice: 1 = staff sized to the baseline demand",
        allowed=POSITIVE,
        unit="x",
        label="staff capacity",
        lever=(0.25, 3.0, 0.25),
        short="staff",
    )
    staffed_need_rate: float = param(
        0.01,
        "daily need rate the staff were sized for (baseline demand, fixed)",
        "modelling choice: the need rate of a connected citizen on day 0, so that "
        "demand raised later can outrun capacity (C10)",
        allowed=UNIT,
        unit="needs/citizen/day",
    )
    posting_hours: float = param(
        1.0,
        "online staff hours a day for the account, besides caseload",
        "modelling choice: a part-time account manager",
        unit="hours/day",
    )
    online_staff_ratio: float = param(
        1.0,
        "online caseload staff hours a day per expected request a day",
        "calibrated to P3 (results/calibration_agencies)",
        unit="hours per request/day",
    )
    offline_staff_ratio: float = param(
        1.3,
        "office cases a day per expected need",
        "modelling choice: offices cope with baseline demand when nothing is diverted",
        unit="cases/need",
    )
    cost_post: float = param(
        0.7,
        "staff hours per substantive post",
        "calibrated to P2 (results/calibration_agencies)",
        allowed=POSITIVE,
        unit="hours",
    )
    cost_reply: float = param(
        0.5,
        "staff hours per real reply",
        "modelling choice: a reply means looking up a case",
        allowed=POSITIVE,
        unit="hours",
    )
    boilerplate_clarity_factor: float = param(
        0.2,
        "chance a boilerplate reply resolves, relative to clarity",
        "modelling choice: form answers rarely solve a case",
        allowed=UNIT,
    )
    clarity_floor: float = param(
        0.2,
        "clarity of an agency with zero skill",
        "article: 'officialese further confounds netizens' (C8); modelling choice: some content still gets through",
        allowed=UNIT,
    )
    base_compliance: float = param(
        0.4,
        "share of an audit gap closed before any pressure",
        "modelling choice: agencies partly comply before sanctions",
        allowed=UNIT,
        label="base audit compliance",
    )
    audit_crowding: float = param(
        1.0,
        "share of audit work paid from the hours the agency gives its account "
        "(0 = from idle time only: the audit costs citizens nothing)",
        "modelling choice: meeting the audit comes first (article: posts made 'to pass "
        "the scrutiny'); switch of the staff-time pathway (C3)",
        allowed=UNIT,
    )
    filler_value: float = param(
        0.0,
        "value a filler post carries to citizens, relative to a substantive post",
        "counterfactual switch for P6: 0 = filler is empty (article: health and weather news posted to pass scrutiny)",
        allowed=UNIT,
    )
    initial_account_share: float = param(
        0.05,
        "share of agencies with an account on day 0",
        "modelling choice: a few early adopters before the mandate (C1)",
        allowed=UNIT,
    )
    adoption_innovation: float = param(
        0.0002,
        "Bass innovation p per day (own enthusiasm)",
        "modelling choice: slow voluntary diffusion (Ma 2013, police bureaus); not calibrated",
        allowed=UNIT,
        unit="1/day",
    )
    level_need_shares: list[float] = param(
        [0.1, 0.2, 0.7],
        "share of needs handled at province, city, district level",
        "modelling choice: most services are local",
    )
    sector_need_shares: list[float] = param(
        [0.16, 0.16, 0.12, 0.14, 0.12, 0.08, 0.1, 0.12],
        "share of needs by sector (order of config.SECTORS)",
        "modelling choice: public security and health lead",
    )


@dataclass
class CitizenConfig:
    need_rate: float = param(
        0.01,
        "daily chance a connected citizen has a service need",
        "modelling choice: about 3.6 needs a year",
        allowed=UNIT,
        unit="1/day",
    )
    need_ratio_excluded: float = param(
        1.5,
        "need rate of the originally excluded relative to the connected",
        "article: the excluded 'are also most in need of public services'",
        allowed=POSITIVE,
        unit="x",
        label="need ratio of the excluded",
    )
    latent_demand: float = param(
        0.5,
        "extra needs voiced at efficacy 1 (demand rises with responsiveness)",
        "article: social media 'raised citizens' expectations' (C10); switch of the demand loop",
        unit="x",
    )
    patience_days: int = param(
        45,
        "days a citizen pursues a need before dropping it",
        "modelling choice: six weeks",
        allowed=COUNT,
        unit="days",
    )
    patience_ratio_excluded: float = param(
        0.7,
        "patience of an excluded citizen without a helper, relative",
        "modelling choice: repeated office trips are costly for the rural old (C6)",
        allowed=UNIT,
    )
    retry_days: int = param(
        7,
        "days an online request waits for a reply before the citizen tries again",
        "modelling choice: a week",
        allowed=COUNT,
        unit="days",
    )
    misroute_prob: float = param(
        0.5,
        "chance a citizen with zero digital skill asks the wrong agency",
        "article: 'citizens have to visit each agency's micro blog' (C7)",
        allowed=UNIT,
        label="misrouting probability",
    )
    efficacy_alpha: float = param(
        2.0,
        "Beta shape a of initial efficacy (belief that asking online helps)",
        "modelling choice: mean 0.4",
        allowed=POSITIVE,
    )
    efficacy_beta: float = param(3.0, "Beta shape b of initial efficacy", "as efficacy_alpha", allowed=POSITIVE)
    skill_alpha: float = param(
        2.0,
        "Beta shape a of digital skill of the connected (shape b is a fixed factor, 2)",
        "modelling choice: mean a/(a+2) = 0.5",
        allowed=POSITIVE,
    )
    threshold_alpha: float = param(
        2.0,
        "Beta shape a of participation thresholds",
        "Granovetter 1978 thresholds; modelling choice: mean one half",
        allowed=POSITIVE,
        label="participation threshold (Beta alpha)",
    )
    threshold_beta: float = param(
        2.0, "Beta shape b of participation thresholds", "as threshold_alpha", allowed=POSITIVE
    )
    voice_sigma: float = param(
        2.1,
        "log-sd of posts per active day (lognormal)",
        "calibrated to P4 (results/calibration_citizens; Fu & Chau 2013: top 5 % write ~80 %); the share follows from sigma almost analytically",
        allowed=POSITIVE,
    )
    voice_cap: float = param(
        200.0,
        "cap on mean posts per active day",
        "modelling choice: the heaviest accounts post hundreds a day",
        allowed=POSITIVE,
        unit="posts/day",
    )
    spontaneous_rate: float = param(
        0.00015,
        "daily chance a connected citizen posts whatever the stimulus",
        "calibrated to P4 (results/calibration_citizens): background chatter",
        allowed=UNIT,
        unit="1/day",
    )
    weight_exposure: float = param(
        0.3, "weight of valuable content heard in the participation stimulus", "modelling choice: not calibrated"
    )
    weight_social: float = param(
        0.5, "weight of the active share of one's ties (cascade)", "Granovetter 1978; modelling choice: not calibrated"
    )
    weight_efficacy: float = param(
        0.2, "weight of efficacy in the participation stimulus", "modelling choice: not calibrated"
    )
    weight_trust: float = param(
        0.2,
        "weight of trust in the participation stimulus (willingness to take part)",
        "modelling choice: who distrusts the account does not talk to it (C5)",
    )
    trust_channel_weight: float = param(
        0.5,
        "how strongly trust tilts the choice of the online channel (0: efficacy alone decides)",
        "modelling choice: distrust sends citizens to the office (C5)",
        allowed=UNIT,
    )
    attention_items: float = param(
        1.0,
        "feed items a citizen reads a day; more items dilute each one",
        "modelling choice: finite attention (Simon 1971); switch of the attention "
        "pathway (a very large value switches it off)",
        allowed=POSITIVE,
        unit="items/day",
    )
    follow_churn: float = param(
        0.005,
        "daily chance a follow slot is reconsidered: kept with the account's "
        "credibility, dropped otherwise (0 switches unfollowing off)",
        "modelling choice: feeds are pruned over months",
        allowed=UNIT,
        unit="1/day",
    )
    credibility_learning: float = param(
        0.01,
        "daily rate at which trust moves toward the credibility of the accounts followed (0 switches it off)",
        "modelling choice: credibility lost to filler and silence (C2, C3)",
        allowed=UNIT,
        unit="1/day",
    )
    offline_resolution: float = param(
        0.9, "chance an office visit resolves the need", "modelling choice: face-to-face service explains", allowed=UNIT
    )
    efficacy_learning: float = param(
        0.2, "learning rate of efficacy from online attempts", "modelling choice", allowed=UNIT
    )
    satisfaction_feedback: float = param(
        0.1,
        "rate at which efficacy moves toward satisfaction after a closed need",
        "modelling choice: satisfied citizens ask again (C10)",
        allowed=UNIT,
    )
    trust_learning: float = param(
        0.1, "rate at which trust moves toward satisfaction after a closed need", "modelling choice", allowed=UNIT
    )
    trust_relay_gain: float = param(
        0.02, "trust gain per unit of valuable content heard", "modelling choice", allowed=UNIT
    )
    trust_criticism_loss: float = param(
        0.05,
        "trust loss per unit of leader criticism heard",
        "modelling choice: the two-step flow carries criticism too (C5)",
        allowed=UNIT,
    )
    expectation_up: float = param(
        0.3,
        "rate at which expectations rise after better service than expected",
        "article: social media 'raised citizens' expectations' (C10)",
        allowed=UNIT,
        label="expectation rise rate",
    )
    expectation_down: float = param(
        0.05,
        "rate at which expectations fall after worse service",
        "modelling choice: expectations ratchet (C10)",
        allowed=UNIT,
    )
    satisfaction_learning: float = param(
        0.2,
        "learning rate of the satisfaction record",
        "reporting only: satisfaction is a record of felt service; decisions use each closed need's felt "
        "satisfaction directly (Morris screening: zero effect on every outcome)",
        allowed=UNIT,
        reporting=True,
    )
    quality_half_life: float = param(
        7.0,
        "days of waiting that halve the quality of a met need",
        "modelling choice: a week",
        allowed=POSITIVE,
        unit="days",
    )
    cost_online: float = param(
        1.0, "citizen burden of an online attempt", "reference unit", reporting=True, unit="burden"
    )
    cost_assisted: float = param(
        2.0,
        "burden of an assisted-digital attempt",
        "reporting only: read by the burden outcome, no decision uses it",
        reporting=True,
        unit="burden",
    )
    cost_offline_connected: float = param(
        3.0,
        "burden of an office visit for a connected citizen",
        "reporting only: read by the burden outcome",
        reporting=True,
        unit="burden",
    )
    cost_offline_excluded: float = param(
        4.0,
        "burden of an office visit for an excluded citizen",
        "reporting only: read by the burden outcome",
        reporting=True,
        unit="burden",
    )
    agencies_followed: int = param(
        3,
        "agency accounts each citizen follows (one city, rest district)",
        "modelling choice: the city account and a couple of local ones",
        allowed=COUNT,
    )


@dataclass
class LeaderConfig:
    follow_prob: float = param(
        0.6,
        "chance each of a citizen's leader slots is used",
        "modelling choice",
        allowed=UNIT,
        label="leader follow probability",
    )
    max_followed: int = param(2, "leader slots per citizen", "modelling choice", allowed=COUNT)
    relay_prob: float = param(
        0.3,
        "chance a leader relays a valuable post (times its clarity)",
        "Katz & Lazarsfeld 1955 two-step flow (C5)",
        allowed=UNIT,
        label="leader relay probability",
    )
    relay_weight: float = param(0.5, "value of a relayed post relative to a direct one", "modelling choice")
    criticism_prob: float = param(
        0.05, "daily chance a leader criticises an unresponsive watched account", "modelling choice", allowed=UNIT
    )


@dataclass
class MandateConfig:
    share: float = param(
        0.0, "share of agencies ordered to open an account (top levels first)", "lever (C1)", allowed=UNIT
    )
    start_day: int = param(1, "day the mandate is issued", "lever", allowed=COUNT, unit="day")
    deadline_day: int = param(
        365, "day by which mandated agencies must have an account", "lever", allowed=COUNT, unit="day"
    )


@dataclass
class AuditConfig:
    metric: str = _choice(
        "none",
        "what the authority counts",
        "lever (C3, C9); posts = the article's status quo",
        AUDIT_METRICS,
        label="what the audit counts",
        lever=True,
        short="audit counts",
    )
    quota: int = param(
        0,
        "count required per audit period",
        "lever",
        unit="per period",
        label="audit quota per period",
        lever=True,
        short="quota",
    )
    period_days: int = param(90, "days between audits", "lever: quarterly", allowed=COUNT, unit="days")
    pressure_step: float = param(0.25, "pressure added to an agency failing an audit", "modelling choice")
    pressure_decay: float = param(
        0.5, "share of pressure removed after a passed audit", "modelling choice", allowed=UNIT
    )
    quality_motivation_gain: float = param(
        0.05,
        "motivation gain after passing a replies/resolutions audit",
        "article: 'institutionalization ... can change the behaviors' (C9)",
        allowed=UNIT,
    )


@dataclass
class TrainingConfig:
    share_per_year: float = param(
        0.0,
        "share of agencies trained per year",
        "lever (C8, C9)",
        unit="1/year",
        label="training: share of agencies a year",
        lever=(0.0, 1.0, 0.05),
        short="training",
    )
    skill_gain: float = param(0.3, "skill gained by a trained agency", "modelling choice", allowed=UNIT)
    motivation_gain: float = param(
        0.15, "motivation gained by a trained agency", "article: formal guidance changes behaviour (C9)", allowed=UNIT
    )
    start_day: int = param(1, "first day of training", "lever", allowed=COUNT, unit="day")


@dataclass
class IntegrationConfig:
    enabled: bool = param(
        False,
        "whether a one-stop hub opens",
        "lever (C7)",
        allowed=(),
        label="one-stop hub (integration)",
        lever=True,
        short="hub",
    )
    start_day: int = param(1, "day the hub opens", "lever", allowed=COUNT, unit="day")
    routing_accuracy: float = param(0.9, "chance the hub forwards a request to the right agency", "lever", allowed=UNIT)
    pooled_staff_share: float = param(
        0.3, "share of participating agencies' online caseload hours given to the hub", "lever", allowed=UNIT
    )
    extra_staff_per_10k: float = param(
        0.0,
        "dedicated hub staff hours a day per 10,000 citizens (a costed "
        "lever; they reply at the participants' mean clarity)",
        "lever",
        unit="hours/day",
    )


@dataclass
class InclusionConfig:
    places_per_10k: float = param(
        0.0,
        "digital-literacy places per year per 10,000 citizens",
        "lever (C6)",
        unit="1/year",
        label="inclusion: literacy places per 10,000 a year",
        lever=(0.0, 2000.0, 50.0),
        short="places",
    )
    assisted_coverage: float = param(
        0.0,
        "share of excluded citizens with an assisted-digital helper",
        "lever (C6)",
        allowed=UNIT,
        label="inclusion: assisted-digital coverage",
        lever=True,
        short="assisted",
    )
    start_day: int = param(1, "first day of the inclusion programme", "lever", allowed=COUNT, unit="day")
    trainee_skill: float = param(
        0.2, "digital skill of an inclusion graduate", "modelling choice: a course gives basic skill", allowed=UNIT
    )


@dataclass
class PolicyConfig:
    name: str = param("laissez_faire", "name of the regime", "config group `policy`", allowed=())
    mandate: MandateConfig = field(default_factory=MandateConfig)
    audit: AuditConfig = field(default_factory=AuditConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    integration: IntegrationConfig = field(default_factory=IntegrationConfig)
    inclusion: InclusionConfig = field(default_factory=InclusionConfig)
    offline_diversion: float = param(
        0.0,
        "share of office staff moved online under mandate or pressure",
        "lever (C6)",
        allowed=UNIT,
        label="office staff moved online",
        lever=True,
        short="diversion",
    )


@dataclass
class MetricsConfig:
    window_days: int = param(
        30,
        "window of rolling outcomes, of 'active' citizens and of credibility",
        "modelling choice: a month",
        allowed=COUNT,
        unit="days",
    )
    response_days: int = param(
        3,
        "an answer within this many days counts as fast",
        "reporting only: the 2011 Beijing test counted replies within 3 days",
        allowed=COUNT,
        unit="days",
        reporting=True,
    )
    ghost_days: int = param(
        30,
        "an account silent this long is a ghost",
        "reporting only: a month without a post or reply",
        allowed=COUNT,
        unit="days",
        reporting=True,
    )
    summary_days: int = param(
        365,
        "final window over which the run summary reads flows",
        "reporting only: the last year, after the mandate",
        allowed=COUNT,
        unit="days",
        reporting=True,
    )


@dataclass
class SimConfig:
    seed: int = param(
        0,
        "seed of the model's random generator (all randomness)",
        "reproducibility",
        reporting=True,
        label="seed",
        lever=True,
    )
    days: int = param(
        1095,
        "length of a run, days (one step = one day)",
        "modelling choice: three years, the mandate's two plus one",
        allowed=COUNT,
        unit="days",
    )
    population: PopulationConfig = field(default_factory=PopulationConfig)
    agency: AgencyConfig = field(default_factory=AgencyConfig)
    citizen: CitizenConfig = field(default_factory=CitizenConfig)
    leader: LeaderConfig = field(default_factory=LeaderConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)


# --- declarations, flattening and validation ---------------------------------


def declarations(cls: type = SimConfig, prefix: str = "") -> dict[str, dataclasses.Field]:
    """Dotted key -> the dataclass field that declares it, for every leaf."""
    out: dict[str, dataclasses.Field] = {}
    for f in dataclasses.fields(cls):
        key = f"{prefix}{f.name}"
        if f.metadata:
            out[key] = f
        else:
            out.update(declarations(f.default_factory().__class__, key + "."))  # type: ignore[operator]
    return out


def _flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        key = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value):
            out.update(_flatten(value, key + "."))
        else:
            out[key] = value
    return out


def flatten(cfg: SimConfig) -> dict[str, Any]:
    """Dotted key -> value for every leaf of the config."""
    return _flatten(cfg)


def _fail(key: str, value: Any, allowed: str) -> ConfigError:
    return ConfigError(f"invalid config: {key}={value!r}; allowed: {allowed}")


def _describe(allowed: tuple, kind: Any) -> str:
    lo, hi = allowed[:2]
    if allowed == UNIT:
        return "a probability or share in [0, 1]"
    if allowed == COUNT:
        return "a whole number >= 1"
    if allowed == POSITIVE and kind is not int:
        return "a number > 0"
    return f"a number in [{lo:g}, {hi:g}]" if math.isfinite(hi) else f"a number >= {lo:g}"


def _check(key: str, value: Any, decl: dataclasses.Field) -> None:
    allowed = decl.metadata["allowed"]
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, str):
        if allowed and value not in allowed:
            raise _fail(key, value, " | ".join(allowed))
        return
    if isinstance(value, list):
        if any(v < 0 for v in value) or sum(value) <= 0:
            raise _fail(key, value, "non-negative weights with a positive sum")
        return
    lo, hi = allowed[:2]
    below = value <= lo if allowed == POSITIVE else value < lo
    if below or value > hi:
        raise _fail(key, value, _describe(allowed, type(value)))


def validate(cfg: SimConfig) -> SimConfig:
    """Raise ConfigError (one line: key, bad value, what is allowed) or return cfg."""
    decls = declarations()
    for key, value in flatten(cfg).items():
        _check(key, value, decls[key])
    shares = cfg.agency.level_need_shares
    if len(shares) != len(LEVELS):
        raise _fail("agency.level_need_shares", shares, f"{len(LEVELS)} weights {LEVELS}")
    sectors = cfg.agency.sector_need_shares
    if len(sectors) != len(SECTORS):
        raise _fail("agency.sector_need_shares", sectors, f"{len(SECTORS)} weights {SECTORS}")
    if cfg.citizen.need_rate * cfg.citizen.need_ratio_excluded * (1 + cfg.citizen.latent_demand) > 1:
        raise _fail(
            "citizen.need_rate",
            cfg.citizen.need_rate,
            "need_rate * need_ratio_excluded * (1 + latent_demand) <= 1 (a daily probability)",
        )
    if cfg.leader.max_followed > n_leaders(cfg):
        raise _fail("leader.max_followed", cfg.leader.max_followed, f"<= population.n_leaders ({n_leaders(cfg)})")
    return cfg


# --- the population rule (ODD §2, population rule): structure follows the number of citizens ---


def n_districts(pop: PopulationConfig) -> int:
    if pop.n_districts is not None:
        return pop.n_districts
    return max(1, round(pop.n_citizens / pop.citizens_per_district))


def n_leaders(cfg: SimConfig) -> int:
    """Opinion leaders: as set, else one per citizens_per_leader (never fewer than a citizen's leader slots)."""
    pop = cfg.population
    if pop.n_leaders is not None:
        return pop.n_leaders
    return max(cfg.leader.max_followed, round(pop.n_citizens / pop.citizens_per_leader))


def register_configs() -> None:
    """Register the schema with Hydra's ConfigStore (the typed base of config.yaml)."""
    from hydra.core.config_store import ConfigStore

    cs = ConfigStore.instance()
    cs.store(name="govsim_schema", node=SimConfig)
    cs.store(group="policy", name="policy_schema", node=PolicyConfig)
    cs.store(group="population", name="population_schema", node=PopulationConfig)
