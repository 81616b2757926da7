"""Structured configuration: one dataclass per part of the model.

The dataclasses are the schema Hydra validates YAML files and overrides
against (unknown keys and wrong types fail on load); `validate` adds the
range checks a type cannot express. Every default is documented, with its
source or reasoning, in docs/ODD.md (generated table, kept in step by a test).
"""

from __future__ import annotations

import dataclasses
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


class ConfigError(ValueError):
    """A configuration value outside what the model allows (one-line message)."""


@dataclass
class PopulationConfig:
    name: str = "city"
    n_citizens: int = 10_000
    n_districts: int = 13
    n_leaders: int = 30
    internet_penetration: float = 0.479
    ties_per_citizen: float = 6.0


@dataclass
class AgencyConfig:
    motivation_alpha: float = 0.6
    motivation_beta: float = 2.4
    skill_alpha: float = 2.0
    skill_beta: float = 5.0
    staff_capacity: float = 1.0
    posting_hours: float = 1.0
    online_staff_ratio: float = 0.4
    offline_staff_ratio: float = 1.1
    cost_post: float = 0.8
    cost_filler: float = 0.1
    cost_reply: float = 0.5
    boilerplate_cost_factor: float = 0.3
    boilerplate_clarity_factor: float = 0.2
    clarity_floor: float = 0.2
    base_compliance: float = 0.4
    initial_account_share: float = 0.05
    adoption_innovation: float = 0.0002
    adoption_imitation: float = 0.002
    level_need_shares: list[float] = field(default_factory=lambda: [0.1, 0.2, 0.7])
    sector_need_shares: list[float] = field(default_factory=lambda: [0.16, 0.16, 0.12, 0.14, 0.12, 0.08, 0.1, 0.12])


@dataclass
class CitizenConfig:
    need_rate: float = 0.01
    need_ratio_excluded: float = 1.5
    latent_demand: float = 0.5
    patience_days: int = 45
    patience_ratio_excluded: float = 0.7
    retry_days: int = 7
    misroute_prob: float = 0.5
    efficacy_alpha: float = 2.0
    efficacy_beta: float = 3.0
    skill_alpha: float = 2.0
    skill_beta: float = 2.0
    threshold_alpha: float = 2.0
    threshold_beta: float = 2.0
    voice_sigma: float = 2.5
    voice_cap: float = 200.0
    spontaneous_rate: float = 0.002
    weight_exposure: float = 0.3
    weight_social: float = 0.5
    weight_efficacy: float = 0.3
    offline_resolution: float = 0.9
    efficacy_learning: float = 0.2
    trust_learning: float = 0.1
    trust_relay_gain: float = 0.02
    trust_criticism_loss: float = 0.05
    expectation_up: float = 0.3
    expectation_down: float = 0.05
    satisfaction_learning: float = 0.2
    quality_half_life: float = 7.0
    cost_online: float = 1.0
    cost_assisted: float = 2.0
    cost_offline_connected: float = 3.0
    cost_offline_excluded: float = 4.0
    agencies_followed: int = 3


@dataclass
class LeaderConfig:
    popularity_alpha: float = 1.2
    follow_prob: float = 0.6
    max_followed: int = 2
    agencies_watched: int = 12
    relay_prob: float = 0.3
    relay_weight: float = 0.5
    criticism_prob: float = 0.05
    criticism_threshold: float = 0.3


@dataclass
class MandateConfig:
    share: float = 0.0
    start_day: int = 1
    deadline_day: int = 365


@dataclass
class AuditConfig:
    metric: str = "none"
    quota: int = 0
    period_days: int = 90
    pressure_step: float = 0.25
    pressure_decay: float = 0.5
    quality_motivation_gain: float = 0.05


@dataclass
class TrainingConfig:
    share_per_year: float = 0.0
    skill_gain: float = 0.3
    motivation_gain: float = 0.15
    start_day: int = 1


@dataclass
class IntegrationConfig:
    enabled: bool = False
    start_day: int = 1
    routing_accuracy: float = 0.9
    pooled_staff_share: float = 0.3
    hub_clarity: float = 0.8


@dataclass
class InclusionConfig:
    places_per_10k: float = 0.0
    assisted_coverage: float = 0.0
    start_day: int = 1
    trainee_skill: float = 0.2


@dataclass
class PolicyConfig:
    name: str = "laissez_faire"
    mandate: MandateConfig = field(default_factory=MandateConfig)
    audit: AuditConfig = field(default_factory=AuditConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    integration: IntegrationConfig = field(default_factory=IntegrationConfig)
    inclusion: InclusionConfig = field(default_factory=InclusionConfig)
    offline_diversion: float = 0.0


@dataclass
class MetricsConfig:
    window_days: int = 30
    response_days: int = 3
    ghost_days: int = 30
    summary_days: int = 365


@dataclass
class SimConfig:
    seed: int = 0
    days: int = 1095
    population: PopulationConfig = field(default_factory=PopulationConfig)
    agency: AgencyConfig = field(default_factory=AgencyConfig)
    citizen: CitizenConfig = field(default_factory=CitizenConfig)
    leader: LeaderConfig = field(default_factory=LeaderConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)


# --- validation -------------------------------------------------------------

# Keys whose value is a probability or a share: must lie in [0, 1].
_UNIT_INTERVAL = {
    "population.internet_penetration",
    "agency.boilerplate_cost_factor",
    "agency.boilerplate_clarity_factor",
    "agency.clarity_floor",
    "agency.base_compliance",
    "agency.initial_account_share",
    "agency.adoption_innovation",
    "agency.adoption_imitation",
    "citizen.need_rate",
    "citizen.patience_ratio_excluded",
    "citizen.misroute_prob",
    "citizen.spontaneous_rate",
    "citizen.offline_resolution",
    "citizen.efficacy_learning",
    "citizen.trust_learning",
    "citizen.trust_relay_gain",
    "citizen.trust_criticism_loss",
    "citizen.expectation_up",
    "citizen.expectation_down",
    "citizen.satisfaction_learning",
    "leader.follow_prob",
    "leader.relay_prob",
    "leader.criticism_prob",
    "leader.criticism_threshold",
    "policy.mandate.share",
    "policy.audit.pressure_decay",
    "policy.training.skill_gain",
    "policy.training.motivation_gain",
    "policy.audit.quality_motivation_gain",
    "policy.integration.routing_accuracy",
    "policy.integration.pooled_staff_share",
    "policy.integration.hub_clarity",
    "policy.inclusion.assisted_coverage",
    "policy.inclusion.trainee_skill",
    "policy.offline_diversion",
}
# Keys that count or size something: must be >= 1.
_POSITIVE_INT = {
    "days",
    "population.n_citizens",
    "population.n_districts",
    "population.n_leaders",
    "citizen.patience_days",
    "citizen.retry_days",
    "citizen.agencies_followed",
    "leader.max_followed",
    "leader.agencies_watched",
    "policy.audit.period_days",
    "policy.mandate.start_day",
    "policy.mandate.deadline_day",
    "policy.training.start_day",
    "policy.integration.start_day",
    "policy.inclusion.start_day",
    "metrics.window_days",
    "metrics.response_days",
    "metrics.ghost_days",
    "metrics.summary_days",
}
# Shape parameters, costs and rates: must be > 0.
_POSITIVE_FLOAT = {
    "agency.motivation_alpha",
    "agency.motivation_beta",
    "agency.skill_alpha",
    "agency.skill_beta",
    "agency.staff_capacity",
    "agency.cost_post",
    "agency.cost_filler",
    "agency.cost_reply",
    "citizen.need_ratio_excluded",
    "citizen.efficacy_alpha",
    "citizen.efficacy_beta",
    "citizen.skill_alpha",
    "citizen.skill_beta",
    "citizen.threshold_alpha",
    "citizen.threshold_beta",
    "citizen.quality_half_life",
    "citizen.voice_cap",
    "leader.popularity_alpha",
}
# Everything else numeric must simply not be negative.


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


def validate(cfg: SimConfig) -> SimConfig:
    """Raise ConfigError (one line: key, bad value, what is allowed) or return cfg."""
    for key, value in flatten(cfg).items():
        if isinstance(value, (bool, str)):
            continue
        if isinstance(value, list):
            if any(v < 0 for v in value) or sum(value) <= 0:
                raise _fail(key, value, "non-negative weights with a positive sum")
            continue
        if key in _UNIT_INTERVAL and not 0.0 <= value <= 1.0:
            raise _fail(key, value, "a probability or share in [0, 1]")
        if key in _POSITIVE_INT and value < 1:
            raise _fail(key, value, "a whole number >= 1")
        if key in _POSITIVE_FLOAT and not value > 0:
            raise _fail(key, value, "a number > 0")
        if value < 0:
            raise _fail(key, value, "a number >= 0")
    metric = cfg.policy.audit.metric
    if metric not in AUDIT_METRICS:
        raise _fail("policy.audit.metric", metric, " | ".join(AUDIT_METRICS))
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
    if cfg.leader.max_followed > cfg.population.n_leaders:
        raise _fail(
            "leader.max_followed", cfg.leader.max_followed, f"<= population.n_leaders ({cfg.population.n_leaders})"
        )
    return cfg


def register_configs() -> None:
    """Register the schema with Hydra's ConfigStore (the typed base of config.yaml)."""
    from hydra.core.config_store import ConfigStore

    cs = ConfigStore.instance()
    cs.store(name="govsim_schema", node=SimConfig)
    cs.store(group="policy", name="policy_schema", node=PolicyConfig)
    cs.store(group="population", name="population_schema", node=PopulationConfig)
