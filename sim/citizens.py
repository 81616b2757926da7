"""The citizen crowd, column-wise: one numpy row per citizen, updated in bulk.

Connected and digitally excluded citizens share the same columns; the
`connected` flag decides which channels they have. Nothing here loops over
citizens in Python: each daily rule is a handful of array operations, or
touches only the few citizens who had an event today.
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


def gather_sum(table: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Sum over follow slots of table[follow] (whole rows of a 2-d table), slot by slot, in one buffer.

    A table of several float32 columns is gathered row-wise in one take per slot
    (cheaper than one take per column), and each column adds up in slot order.
    """
    out = np.take(table, rows[0], axis=0)
    chunk = 1 << 16  # citizens at a time: the gather buffer stays small (a crowd-long one was the day's peak)
    buf = np.empty_like(out[:chunk])
    for lo in range(0, rows.shape[1], chunk):
        part = out[lo : lo + chunk]
        for row in rows[1:]:
            # follow slots always index the table; mode="clip" lets take write into `buf` unbuffered
            part += np.take(table, row[lo : lo + chunk], axis=0, out=buf[: len(part)], mode="clip")
    return out


@dataclass(frozen=True)
class Feed:
    """What each citizen's followed accounts and leaders delivered today (`GovSimModel._exposure`)."""

    heard: np.ndarray  # valuable content read, saturating in [0, 1)
    criticised: np.ndarray | None  # criticism read, saturating; None on a day without criticism
    credibility: np.ndarray  # per agency account, NaN without one, plus a NaN pad for unfollowed slots
    credibility_sum: np.ndarray  # over each citizen's followed accounts (float32)
    accounts_followed: np.ndarray  # number of followed slots whose agency has an account (float32)


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
        self.needs_arisen = np.zeros(n, dtype=np.int32)
        self.needs_met = np.zeros(n, dtype=np.int32)
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

    def channel_propensity(self, cfg: SimConfig, ids: np.ndarray) -> np.ndarray:
        """Chance to try the online channel: efficacy, tilted by trust (C5, C10)."""
        w = cfg.citizen.trust_channel_weight
        tilt = 1.0 + w * (2.0 * self.trust[ids] - 1.0)
        return np.minimum(1.0, self.efficacy[ids] * tilt)

    def assisted(self, coverage: float) -> np.ndarray:
        """Excluded citizens reached by an assisted-digital centre or a relative."""
        return ~self.connected & (self.assist_draw < coverage)

    def active_recently(self, day: int, window: int) -> np.ndarray:
        return self.last_active > day - window

    # --- daily rules ------------------------------------------------------
    def participate(self, cfg: SimConfig, day: int, heard: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Threshold rule (C5): post if content heard, active ties and efficacy outweigh the threshold.

        `heard` is the saturating exposure 1 - exp(-valuable items seen today).
        Returns the ids of citizens who post today.
        """
        c = cfg.citizen
        if kernels.ENABLED:
            return self._participate_compiled(cfg, day, heard, rng)
        recent = self.active_recently(day, cfg.metrics.window_days)
        stimulus = self.active_ties.fraction(recent)
        stimulus *= np.float32(c.weight_social)
        stimulus += np.float32(c.weight_exposure) * heard
        stimulus += np.float32(c.weight_efficacy) * self.efficacy
        stimulus += np.float32(c.weight_trust) * self.trust
        posting = self.connected & (stimulus >= self.threshold)
        k = rng.binomial(self.n, c.spontaneous_rate)
        spontaneous = rng.integers(0, self.n, size=k)
        posting[spontaneous[self.connected[spontaneous]]] = True
        ids = np.flatnonzero(posting)
        self.last_active[ids] = day
        self.posts[ids] += 1 + rng.poisson(self.voice[ids]).astype(np.int32)
        return ids

    def _participate_compiled(
        self, cfg: SimConfig, day: int, heard: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """`participate` with the arithmetic between draws in sim.kernels (the same draws, the same numbers)."""
        c = cfg.citizen
        act = self.active_ties
        posting = kernels.stimulus_posting(
            self.last_active, day, cfg.metrics.window_days, act.active, act.count, act.ties.indptr,
            act.ties.indices, act.ties.inverse_degree, heard, self.efficacy, self.trust, self.threshold,
            self.connected, np.float32(c.weight_social), np.float32(c.weight_exposure),
            np.float32(c.weight_efficacy), np.float32(c.weight_trust),
        )  # fmt: skip
        k = rng.binomial(self.n, c.spontaneous_rate)
        spontaneous = rng.integers(0, self.n, size=k)
        kernels.mark_spontaneous(posting, spontaneous, self.connected)
        ids = np.flatnonzero(posting)  # numpy's is faster than a compiled loop
        self.last_active[ids] = day
        self.posts[ids] += 1 + rng.poisson(self.voice[ids]).astype(np.int32)
        return ids

    def hear(self, cfg: SimConfig, feed: Feed) -> None:
        """Trust of the connected: relayed content builds it, criticism erodes it, and it
        drifts toward the credibility of the accounts they follow (C3, C5).
        """
        c = cfg.citizen
        if kernels.ENABLED:
            crit = feed.criticised
            kernels.hear(
                self.trust, feed.heard, feed.heard if crit is None else crit, crit is not None,
                feed.credibility_sum, feed.accounts_followed, self.connected, np.float32(c.trust_relay_gain),
                np.float32(c.trust_criticism_loss), np.float32(c.credibility_learning), c.credibility_learning > 0,
            )  # fmt: skip
            return
        change = np.float32(c.trust_relay_gain) * feed.heard * (1.0 - self.trust)
        if feed.criticised is not None:
            change -= np.float32(c.trust_criticism_loss) * feed.criticised * self.trust
        if c.credibility_learning > 0:
            # pull = rate x (mean credibility followed - trust) in float64, in one buffer
            count = feed.accounts_followed
            pull = np.maximum(count, 1).astype(np.float64)
            np.divide(feed.credibility_sum, pull, out=pull)
            pull -= self.trust
            pull *= np.float32(c.credibility_learning)
            pull[count == 0] = 0.0  # no followed account: no pull
            change += pull
        change *= self.connected
        self.trust += change
        np.clip(self.trust, 0.0, 1.0, out=self.trust)

    def churn(self, cfg: SimConfig, credibility: np.ndarray, rng: np.random.Generator) -> None:
        """A few follow slots are reconsidered each day: kept with the account's credibility (C3).

        Only slots of agencies with an account are reconsidered (`credibility`
        NaN elsewhere); an unfollowed slot can be followed again. O(churned slots).
        """
        rate = cfg.citizen.follow_churn
        if rate == 0:
            return
        k, n = self.home_agency.shape
        slots = rng.integers(0, k * n, size=rng.binomial(k * n, rate))
        if kernels.ENABLED:
            u = rng.random(len(slots))
            kernels.churn_apply(
                slots, u, n, self.home_agency, self.follows_agency, credibility, self.connected, self.unfollowed,
                self.n_agencies,
            )  # fmt: skip
            return
        slot, who = np.divmod(slots, n)
        agency = self.home_agency[slot, who]
        cred = credibility[agency]
        open_ = ~np.isnan(cred) & self.connected[who]
        keep = rng.random(len(slots)) < np.where(open_, cred, 1.0)
        # the unfollowed-slot counts move by the slots whose state changed (each slot once)
        unique = np.unique(slots)
        u_slot, u_who = np.divmod(unique, n)
        before = self.follows_agency[u_slot, u_who] == self.n_agencies
        self.follows_agency[slot, who] = np.where(keep | ~open_, agency, self.n_agencies)
        change = (self.follows_agency[u_slot, u_who] == self.n_agencies).astype(np.int64) - before
        home = self.home_agency[u_slot, u_who]  # always a real agency, never the unfollowed pad
        self.unfollowed += np.bincount(home, weights=change, minlength=self.n_agencies).astype(np.int64)

    def learn_from_attempts(self, cfg: SimConfig, citizen: np.ndarray, success: np.ndarray) -> None:
        """Online attempts that end teach efficacy: resolved -> up, otherwise down."""
        if len(citizen) == 0:
            return
        e = self.efficacy
        if kernels.ENABLED:
            kernels.learn(e, citizen, success, np.float32(cfg.citizen.efficacy_learning))
            return
        delta = cfg.citizen.efficacy_learning * (success.astype(np.float32) - e[citizen])
        np.add.at(e, citizen, delta)
        e[citizen] = np.clip(e[citizen], 0.0, 1.0)

    def experience(self, cfg: SimConfig, citizen: np.ndarray, quality: np.ndarray) -> None:
        """A closed need: the expectation gap sets satisfaction, which feeds trust and efficacy;
        expectations ratchet up after service better than expected (C10).
        """
        if len(citizen) == 0:
            return
        c = cfg.citizen
        if kernels.ENABLED:
            f32 = np.float32
            kernels.experience(
                citizen, quality, self.expectation, self.satisfaction, self.trust, self.efficacy,
                f32(c.satisfaction_learning), f32(c.trust_learning), f32(c.satisfaction_feedback),
                f32(c.expectation_up), f32(c.expectation_down),
            )  # fmt: skip
            return
        q = quality.astype(np.float32)
        x = self.expectation[citizen]
        felt = np.clip(0.5 + q - x, 0.0, 1.0)
        np.add.at(self.satisfaction, citizen, c.satisfaction_learning * (felt - self.satisfaction[citizen]))
        np.add.at(self.trust, citizen, c.trust_learning * (felt - self.trust[citizen]))
        np.add.at(self.efficacy, citizen, c.satisfaction_feedback * (felt - self.efficacy[citizen]))
        ratchet = c.expectation_up * np.maximum(q - x, 0) - c.expectation_down * np.maximum(x - q, 0)
        np.add.at(self.expectation, citizen, ratchet)
        for col in (self.trust, self.satisfaction, self.expectation, self.efficacy):
            col[citizen] = np.clip(col[citizen], 0.0, 1.0)

    def include(self, ids: np.ndarray, skill: float) -> None:
        """Digital-literacy graduates come online with low skill (inclusion lever)."""
        self.connected[ids] = True
        self.digital_skill[ids] = skill
