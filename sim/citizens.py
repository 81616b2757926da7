"""The citizen crowd, column-wise: one numpy row per citizen, updated in bulk.

Connected and digitally excluded citizens share the same columns; the
`connected` flag decides which channels they have. Nothing here loops over
citizens in Python: each daily rule is a handful of array operations, or
touches only the few citizens who had an event today.
"""

from __future__ import annotations

import numpy as np

from sim.config import SimConfig
from sim.geography import CITY, DISTRICT, Geography
from sim.network import Ties, district_ties

NEVER = -(10**6)  # "last active" of a citizen who never posted


def index_dtype(size: int) -> type:
    """Narrowest integer type that indexes `size` items (follow tables are n-long)."""
    return np.int16 if size <= np.iinfo(np.int16).max else np.int32


class Citizens:
    def __init__(self, cfg: SimConfig, geo: Geography, rng: np.random.Generator) -> None:
        c = cfg.citizen
        n = geo.n_citizens
        self.n = n
        self.district = geo.citizen_districts()
        # Offline citizens are older and rural: more needs, for life (P5, C6).
        self.connected = rng.random(n) < cfg.population.internet_penetration
        self.high_need = ~self.connected
        self.digital_skill = np.where(self.connected, rng.beta(c.skill_alpha, c.skill_beta, n), 0.0).astype(np.float32)
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
        self.ties: Ties = district_ties(
            rng, geo.district_start, geo.district_size, self.district, cfg.population.ties_per_citizen
        )
        self.follows_agency = self._follow_agencies(cfg, geo, rng)
        self.follows_leader = np.empty((n, 0), dtype=np.int32)

    def follow_leaders(self, cfg: SimConfig, popularity: np.ndarray, rng: np.random.Generator) -> None:
        """Up to max_followed leaders each, drawn by popularity: heavy-tailed audiences.

        Slot value len(popularity) means "no leader" (it indexes a zero pad).
        """
        lc = cfg.leader
        n_leaders = len(popularity)
        shape = (lc.max_followed, self.n)
        picks = rng.choice(n_leaders, size=shape, p=popularity / popularity.sum())
        keep = rng.random(shape) < lc.follow_prob
        self.follows_leader = np.where(keep, picks, n_leaders).astype(index_dtype(n_leaders + 1))

    def _follow_agencies(self, cfg: SimConfig, geo: Geography, rng: np.random.Generator) -> np.ndarray:
        """Each citizen follows one city agency and district agencies of their own district."""
        k = cfg.citizen.agencies_followed
        n = self.n
        sectors = rng.integers(0, geo.n_sectors, size=(k, n), dtype=np.int32)
        levels = np.array([CITY] + [DISTRICT] * (k - 1))[:, None]
        # (k, n): one contiguous row per follow slot, so gathers stream
        return geo.agency_index(levels, sectors, self.district[None, :]).astype(index_dtype(geo.n_agencies))

    # --- derived groups -------------------------------------------------
    @property
    def group(self) -> np.ndarray:
        """0 connected, 1 excluded (the need ledger's group codes)."""
        return (~self.connected).astype(np.int8)

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
        recent = self.active_recently(day, cfg.metrics.window_days)
        stimulus = self.ties.active_fraction(recent)
        stimulus *= np.float32(c.weight_social)
        stimulus += np.float32(c.weight_exposure) * heard
        stimulus += np.float32(c.weight_efficacy) * self.efficacy
        posting = self.connected & (stimulus >= self.threshold)
        k = rng.binomial(self.n, c.spontaneous_rate)
        spontaneous = rng.integers(0, self.n, size=k)
        posting[spontaneous[self.connected[spontaneous]]] = True
        ids = np.flatnonzero(posting)
        self.last_active[ids] = day
        self.posts[ids] += 1 + rng.poisson(self.voice[ids]).astype(np.int32)
        return ids

    def hear(self, cfg: SimConfig, heard: np.ndarray, criticised: np.ndarray | None) -> None:
        """Relayed content builds trust; leaders' criticism erodes it (connected only).

        Both inputs saturate in [0, 1); `criticised` is None on a day without criticism.
        """
        c = cfg.citizen
        change = np.float32(c.trust_relay_gain) * heard * (1.0 - self.trust)
        if criticised is not None:
            change -= np.float32(c.trust_criticism_loss) * criticised * self.trust
        change *= self.connected
        self.trust += change

    def learn_from_attempts(self, cfg: SimConfig, citizen: np.ndarray, success: np.ndarray) -> None:
        """Online attempts that end teach efficacy: resolved -> up, otherwise down."""
        if len(citizen) == 0:
            return
        e = self.efficacy
        delta = cfg.citizen.efficacy_learning * (success.astype(np.float32) - e[citizen])
        np.add.at(e, citizen, delta)
        e[citizen] = np.clip(e[citizen], 0.0, 1.0)

    def experience(self, cfg: SimConfig, citizen: np.ndarray, quality: np.ndarray) -> None:
        """A closed need updates trust, satisfaction and (ratcheting) expectation (C10)."""
        if len(citizen) == 0:
            return
        c = cfg.citizen
        q = quality.astype(np.float32)
        x = self.expectation[citizen]
        np.add.at(self.trust, citizen, c.trust_learning * (q - self.trust[citizen]))
        felt = np.clip(0.5 + q - x, 0.0, 1.0)
        np.add.at(self.satisfaction, citizen, c.satisfaction_learning * (felt - self.satisfaction[citizen]))
        ratchet = c.expectation_up * np.maximum(q - x, 0) - c.expectation_down * np.maximum(x - q, 0)
        np.add.at(self.expectation, citizen, ratchet)
        for col in (self.trust, self.satisfaction, self.expectation):
            col[citizen] = np.clip(col[citizen], 0.0, 1.0)

    def include(self, ids: np.ndarray, skill: float) -> None:
        """Digital-literacy graduates come online with low skill (inclusion lever)."""
        self.connected[ids] = True
        self.digital_skill[ids] = skill
