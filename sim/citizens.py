"""The citizen crowd, column-wise: one numpy row per citizen, updated in bulk.

Connected and digitally excluded citizens share the same columns; the
`connected` flag decides which channels they have. Nothing here loops over
citizens in Python: the random draws are numpy calls on the model's generator,
and the arithmetic between them runs as compiled loops over the columns
(sim.kernels), or touches only the few citizens who had an event today.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import kernels
from sim.config import CITIZEN_SKILL_BETA, SimConfig
from sim.geography import CITY, DISTRICT, Geography
from sim.network import ActiveNeighbours, Ties, district_ties

NEVER = -(10**6)  # "last active" of a citizen who never posted


def index_dtype(size: int) -> type:
    """Narrowest integer type that indexes `size` items (follow tables are n-long)."""
    return np.int16 if size <= np.iinfo(np.int16).max else np.int32


@dataclass(frozen=True)
class Feed:
    """What each citizen's followed accounts and leaders delivered today (`GovSimModel._exposure`)."""

    heard: np.ndarray  # valuable content read, saturating in [0, 1)
    criticised: np.ndarray | None  # criticism read, saturating; None on a day without criticism
    credibility: np.ndarray  # per agency account, NaN without one, plus a NaN pad for unfollowed slots
    credibility_sum: np.ndarray  # over each citizen's followed accounts (float32)
    accounts_followed: np.ndarray  # number of followed slots whose agency has an account (integers)


class Citizens:
    def __init__(self, cfg: SimConfig, geo: Geography, leader_popularity: np.ndarray, rng: np.random.Generator) -> None:
        c = cfg.citizen
        n = geo.n_citizens
        self.n = n
        self.district = geo.citizen_districts()
        # Offline citizens are older and rural: more needs, for life (P5, C6).
        self.connected = rng.random(n) < cfg.population.internet_penetration
        self.origin_excluded = ~self.connected  # the cohort: excluded on day 0, whatever happens later
        self.digital_skill = np.where(self.connected, rng.beta(c.skill_alpha, CITIZEN_SKILL_BETA, n), 0.0).astype(
            np.float32
        )
        self.efficacy = rng.beta(c.efficacy_alpha, c.efficacy_beta, n).astype(np.float32)
        self.trust = np.full(n, 0.5, dtype=np.float32)
        self.expectation = np.full(n, 0.5, dtype=np.float32)
        self.satisfaction = np.full(n, 0.5, dtype=np.float32)
        self.threshold = rng.beta(c.threshold_alpha, c.threshold_beta, n).astype(np.float32)
        # posting intensity: lognormal, so a few citizens write most posts (P4);
        # capped: heavy posters write hundreds a day, not tens of thousands
        self.voice = np.minimum(rng.lognormal(0.0, c.voice_sigma, n), c.voice_cap).astype(np.float32)
        # fixed draw against the assisted-digital coverage lever (common random numbers)
        self.assist_draw = rng.random(n).astype(np.float32)
        self.last_active = np.full(n, NEVER, dtype=np.int32)
        self.posts = np.zeros(n, dtype=np.int32)
        # needs per citizen, read by the recorder every day: narrow, as a citizen's needs are fewer than
        # the days (a daily probability, validated <= 1: on average at most one candidate need a day)
        counts = np.int16 if cfg.days <= 20_000 else np.int32
        self.needs_arisen = np.zeros(n, dtype=counts)
        self.needs_met = np.zeros(n, dtype=counts)
        self.last_served = np.full(n, NEVER, dtype=np.int32)  # day a need of theirs was last met
        self.ties = district_ties(
            rng, geo.district_start, geo.district_size, self.district, cfg.population.ties_per_citizen
        )
        self.n_agencies = geo.n_agencies
        # (k, n): one contiguous row per follow slot, so gathers stream; the home
        # table is who they would follow, follows_agency who they follow now
        # (value n_agencies = an unfollowed slot, which indexes a zero pad)
        self.home_agency = self._follow_agencies(cfg, geo, rng)
        self.follows_agency = self.home_agency.copy()
        # unfollowed slots by home agency (only the connected unfollow), kept current by `churn`
        self.unfollowed = np.zeros(geo.n_agencies, dtype=np.int64)
        self.follows_leader = self._follow_leaders(cfg, leader_popularity, rng)

    def _follow_leaders(self, cfg: SimConfig, popularity: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Up to max_followed leaders each, drawn by popularity: heavy-tailed audiences.

        Slot value len(popularity) means "no leader" (it indexes a zero pad).
        """
        lc = cfg.leader
        n_leaders = len(popularity)
        shape = (lc.max_followed, self.n)
        picks = rng.choice(n_leaders, size=shape, p=popularity / popularity.sum())
        keep = rng.random(shape) < lc.follow_prob
        return np.where(keep, picks, n_leaders).astype(index_dtype(n_leaders + 1))

    def leader_followers(self, n_leaders: int) -> np.ndarray:
        """Connected followers of each leader (the excluded cannot read them)."""
        slots = self.follows_leader[:, self.connected].ravel()
        return np.bincount(slots, minlength=n_leaders + 1)[:n_leaders].astype(np.int64)

    def _follow_agencies(self, cfg: SimConfig, geo: Geography, rng: np.random.Generator) -> np.ndarray:
        """Each citizen follows one city agency and district agencies of their own district."""
        k = cfg.citizen.agencies_followed
        n = self.n
        sectors = rng.integers(0, geo.n_sectors, size=(k, n), dtype=np.int32)
        levels = np.array([CITY] + [DISTRICT] * (k - 1))[:, None]
        return geo.agency_index(levels, sectors, self.district[None, :]).astype(index_dtype(geo.n_agencies + 1))

    @property
    def ties(self) -> Ties:
        return self._ties

    @ties.setter
    def ties(self, ties: Ties) -> None:
        """New ties (tests dock the model on other networks): active-tie counts start over from them."""
        self._ties = ties
        self.active_ties = ActiveNeighbours(ties)

    # --- derived groups -------------------------------------------------
    @property
    def group(self) -> np.ndarray:
        """0 connected, 1 excluded (the need ledger's group codes)."""
        return (~self.connected).astype(np.int8)

    def active_recently(self, day: int, window: int) -> np.ndarray:
        return self.last_active > day - window

    # --- daily rules ------------------------------------------------------
    def participate(self, cfg: SimConfig, day: int, heard: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Threshold rule (C5): post if content heard, active ties and efficacy outweigh the threshold.

        stimulus = weight_social x share of ties active within the window + weight_exposure x heard
        + weight_efficacy x efficacy + weight_trust x trust; connected citizens post when it reaches
        their threshold, and a few post spontaneously. `heard` is the saturating exposure
        1 - exp(-valuable items seen today).
        Returns the ids of citizens who post today.
        """
        c = cfg.citizen
        act = self.active_ties
        # the spontaneous posters and each poster's 1 + Poisson(voice) posts are drawn in the kernel
        return kernels.participate(
            kernels.generator_handle(rng), float(c.spontaneous_rate), self.last_active, day, cfg.metrics.window_days,
            act.active, act.count, act.ties.indptr, act.ties.indices, act.ties.inverse_degree, heard, self.efficacy,
            self.trust, self.threshold, self.connected, np.float32(c.weight_social), np.float32(c.weight_exposure),
            np.float32(c.weight_efficacy), np.float32(c.weight_trust), self.voice, self.posts,
        )  # fmt: skip

    def hear(self, cfg: SimConfig, feed: Feed) -> None:
        """Trust of the connected: relayed content builds it, criticism erodes it, and it
        drifts toward the credibility of the accounts they follow (C3, C5).
        """
        c = cfg.citizen
        crit = feed.criticised
        # trust += relay_gain x heard x (1 - trust) - criticism_loss x criticised x trust
        #          + credibility_learning x (mean credibility followed - trust), clipped to [0, 1]
        kernels.hear(
            self.trust, feed.heard, feed.heard if crit is None else crit, crit is not None,
            feed.credibility_sum, feed.accounts_followed, self.connected, np.float32(c.trust_relay_gain),
            np.float32(c.trust_criticism_loss), np.float32(c.credibility_learning), c.credibility_learning > 0,
        )  # fmt: skip

    def churn(self, cfg: SimConfig, credibility: np.ndarray, rng: np.random.Generator) -> None:
        """A few follow slots are reconsidered each day: kept with the account's credibility (C3).

        Only slots of agencies with an account are reconsidered (`credibility`
        NaN elsewhere); an unfollowed slot can be followed again. O(churned slots).
        """
        rate = cfg.citizen.follow_churn
        if rate == 0:
            return
        # kept with probability = the account's credibility; each changed slot moves its agency's count once
        kernels.churn(
            kernels.generator_handle(rng), float(rate), self.n, self.home_agency, self.follows_agency, credibility,
            self.connected, self.unfollowed, self.n_agencies,
        )  # fmt: skip

    def learn_from_attempts(self, cfg: SimConfig, citizen: np.ndarray, success: np.ndarray) -> None:
        """Online attempts that end teach efficacy: resolved -> up, otherwise down."""
        if len(citizen) == 0:
            return
        # efficacy += rate x (success - efficacy before today's attempts), summed per citizen, clipped to [0, 1]
        kernels.learn(self.efficacy, citizen, success, np.float32(cfg.citizen.efficacy_learning))

    def experience(self, cfg: SimConfig, citizen: np.ndarray, quality: np.ndarray) -> None:
        """A closed need: the expectation gap sets satisfaction, which feeds trust and efficacy;
        expectations ratchet up after service better than expected (C10).
        """
        if len(citizen) == 0:
            return
        c = cfg.citizen
        f32 = np.float32
        # felt = clip(0.5 + quality - expectation); satisfaction, trust and efficacy move toward it;
        # expectation ratchets up by expectation_up x (quality - expectation) if positive, down otherwise
        kernels.experience(
            citizen, quality, self.expectation, self.satisfaction, self.trust, self.efficacy,
            f32(c.satisfaction_learning), f32(c.trust_learning), f32(c.satisfaction_feedback),
            f32(c.expectation_up), f32(c.expectation_down),
        )  # fmt: skip

    def include(self, ids: np.ndarray, skill: float) -> None:
        """Digital-literacy graduates come online with low skill (inclusion lever)."""
        self.connected[ids] = True
        self.digital_skill[ids] = skill
