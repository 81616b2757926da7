"""Docking: with the social parts switched off, the model matches known mathematics.

1. Agency adoption without a mandate follows the discrete Bass recursion
   N(t+1) = N(t) + (p + q N(t)/M)(M - N(t)).
2. One agency's office queue with Poisson arrivals and a fixed daily capacity
   matches the discrete-time queue Q(t+1) = max(Q(t) + A(t) - c, 0) for the
   mean backlog and (by Little's law) the mean waiting time.
3. A threshold cascade on a complete network reproduces Granovetter's (1978)
   example and, more generally, his recursion r(t+1) = F(r(t)).

Everything runs through the real code (GovSimModel configured by overrides,
NeedLedger + route + serve, Citizens.participate inside GovSimModel.step);
the reference mathematics lives in tests/docking_reference.py. Tolerances are
confidence bands with the standard error computed exactly from the reference
process, at 4 standard errors: a correct model fails the whole file with a
probability of about 1e-3 whatever the seeds, while each error named in a
docstring (wrong p or q, adoption reading the live count, a day-order
off-by-one in service) is caught by at least one test.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest
from docking_reference import (
    bass_moments,
    bass_recursion,
    queue_mean_and_time_average_variance,
    single_server_mean_backlog,
)

import sim.agency
from sim import GovSimModel, load_config
from sim.citizens import Citizens
from sim.geography import Geography
from sim.needs import NeedLedger, Queues
from sim.network import complete_ties
from sim.service import AgencyDay, DayFlows, route, serve

Z = 4.0  # half-width of every band, in standard errors

# --- 1. Bass diffusion -------------------------------------------------------

# 23 districts -> 8 x (23 + 2) = 200 agencies; the citizen side is irrelevant
# to adoption, so it is kept tiny. Motivation Beta(1e6, 4e6) is 0.2 +- 2e-4 for
# every agency, so enthusiasm = motivation / prior mean = 1 +- 1e-3: the hazard
# is p + q N/M for all. laissez_faire: no mandate, no audit, no training.
BASS_M = 200
BASS_BASE = (
    "policy=laissez_faire",
    "population.n_citizens=200",
    "population.n_districts=23",
    "population.n_leaders=5",
    "agency.motivation_alpha=1e6",
    "agency.motivation_beta=4e6",
)
BASS_P, BASS_Q, BASS_DAYS, BASS_RUNS = 0.005, 0.1, 100, 40


@functools.cache
def _bass_config(p: float, initial_share: float, days: int):
    return load_config(
        [
            *BASS_BASE,
            f"agency.initial_account_share={initial_share}",
            f"agency.adoption_innovation={p}",
            f"days={days}",
        ]
    )


@pytest.fixture
def imitation(monkeypatch):
    """Set the Bass imitation q, a fixed factor (ODD 7.18: a module constant, no config key) at 0.002 a day.

    The docking needs q far above that to tell the recursion from its look-alikes; the
    constant is read where adoption is decided, so setting it there runs the real code.
    """
    return lambda q: monkeypatch.setattr(sim.agency, "ADOPTION_IMITATION", q)


def _adopters(model: GovSimModel) -> int:
    return sum(a.has_account for a in model.agency_list)


def _bass_curves() -> np.ndarray:
    """Adopter counts N(0..days) of BASS_RUNS full-model runs (seed = 0..39), one row per run."""
    cfg = _bass_config(BASS_P, 0.0, BASS_DAYS)
    assert len(GovSimModel(cfg).agency_list) == BASS_M
    curves = []
    for seed in range(BASS_RUNS):
        model = GovSimModel(dataclasses.replace(cfg, seed=seed))
        model.run()
        share = model.recorder.timeseries()["account_share"].to_numpy()
        assert len(share) == BASS_DAYS
        curves.append(np.r_[0.0, share * BASS_M])
    return np.rint(np.array(curves))


def test_bass_adoption_follows_the_recursion(imitation):
    """40 full-model runs, p = 0.005, q = 0.1 per day, M = 200 agencies, 100 days (one test: under
    `pytest -n 2` a shared fixture would be simulated once per worker).

    The process. Each day every non-adopter adopts with probability
    h = p + q N/M, N the count at the start of the day, so
    D(t) = N(t+1) - N(t) | N(t) ~ Binomial(M - N, h): the Bass recursion holds
    exactly in conditional expectation. The exact distribution of N(t) of this
    finite-population process (a Markov chain on 0..M,
    docking_reference.bass_moments) gives its mean E(t) and variance V(t).
    E(t) lies slightly below the deterministic recursion (Jensen:
    E[N^2] = E[N]^2 + V; here by at most 3.0 agents of 200, 1.4 standard
    errors of the 40-run mean), so the band is centred on E(t).

    (a) Mean curve: |mean(t) - E(t)| <= 4 sqrt(V(t) / 40) on every day of the
    S-curve's body (E between 5 % and 95 % of M: 51 days; in the tails N is
    nearly degenerate and a normal band is meaningless). Calibrated by
    simulating the chain (2,000 sets of 40 runs): the maximum over the body
    exceeds 4 with probability 5e-4 when the model is right; it exceeds 4 with
    probability 1.0 for q x 0.9, 0.92 for q x 1.1, 1.0 for q x 0.8 or 1.2 and
    for p x 0.5 or 1.5, but only 0.05 for the in-place (sequential) update the
    model had before it read a once-a-day peer share.

    (b) Daily increments: Z1 = sum(D - (M - N) h) / sqrt(sum (M - N) h (1 - h)),
    pooled over 40 x 100 run-days, is a martingale sum: N(0, 1) when right;
    |Z1| ~ 8 for q x 0.9 or 1.1, +2.3 for the in-place update. |Z1| <= 4.

    (c) Binomial spread (agencies adopt independently of each other):
    sum (D - (M - N) h)^2 / sum (M - N) h (1 - h) within 4 standard errors of
    1, the standard error from the binomial fourth central moment
    n h (1 - h) (1 + 3 (n - 2) h (1 - h)), n = M - N.
    """
    imitation(BASS_Q)
    curves = _bass_curves()
    mean, var = bass_moments(BASS_P, BASS_Q, BASS_M, BASS_DAYS)
    det = bass_recursion(BASS_P, BASS_Q, BASS_M, BASS_DAYS)
    # the finite-population correction really is small next to the band
    assert np.abs(mean - det).max() <= 0.02 * BASS_M
    # no run stalls: everybody adopts within the horizon
    assert curves[:, -1].mean() >= 0.99 * BASS_M

    # (a) the mean curve
    sim = curves.mean(axis=0)
    body = (mean >= 0.05 * BASS_M) & (mean <= 0.95 * BASS_M)
    assert body.sum() > 40
    dev = (sim[body] - mean[body]) / np.sqrt(var[body] / BASS_RUNS)
    worst = int(np.argmax(np.abs(dev)))
    day = int(np.flatnonzero(body)[worst])
    assert np.abs(dev).max() <= Z, (
        f"day {day}: mean adopters {sim[day]:.2f}, Bass process mean {mean[day]:.2f}, "
        f"recursion {det[day]:.2f}, {dev[worst]:+.2f} standard errors"
    )

    # (b) new adopters per day against the hazard of the start-of-day count
    n = curves[:, :-1]
    left = BASS_M - n
    h = BASS_P + BASS_Q * n / BASS_M
    binom_var = left * h * (1 - h)
    resid = np.diff(curves, axis=1) - left * h
    z1 = resid.sum() / np.sqrt(binom_var.sum())
    assert abs(z1) <= Z, f"new adopters off the Bass hazard by {z1:+.2f} standard errors"

    # (c) their spread
    mu4 = binom_var * (1 + 3 * (left - 2) * h * (1 - h))
    ratio = (resid**2).sum() / binom_var.sum()
    se_ratio = np.sqrt((mu4 - binom_var**2).sum()) / binom_var.sum()
    assert abs(ratio - 1) <= Z * se_ratio, f"increment variance / binomial variance = {ratio:.3f} (se {se_ratio:.3f})"


@pytest.mark.parametrize("initial_share", [0.1, 0.5, 0.9])
def test_bass_one_day_from_a_given_adoption_level(initial_share, imitation):
    """One day of adoption from N0 = 20, 100, 180 of 200, p = 0.1, q = 0.8: E[new] = (p + q N0/M)(M - N0).

    A strong imitation and a large starting base make the difference between
    the Bass recursion (everybody reads the start-of-day count) and an
    in-place update (later agencies see the earlier adopters of the same
    day) large: at N0 = 100 the recursion gives 50 +- 5 new adopters per run,
    the in-place update 61.3 (exact, docking_reference.bass_day_matrix). 40
    one-day runs: the mean must lie within 4 binomial standard errors of the
    formula (0.79 at N0 = 100); the in-place update lands 18, 14 and 2.4
    standard errors off at N0 = 20, 100, 180.
    """
    p, q, runs = 0.1, 0.8, 40
    imitation(q)
    cfg = _bass_config(p, initial_share, 1)
    new, n0 = [], None
    for seed in range(runs):
        model = GovSimModel(dataclasses.replace(cfg, seed=seed))
        n0 = _adopters(model)
        model.step()
        new.append(_adopters(model) - n0)
    assert n0 == round(initial_share * BASS_M)
    h = p + q * n0 / BASS_M
    expected = h * (BASS_M - n0)
    se = np.sqrt((BASS_M - n0) * h * (1 - h) / runs)
    assert abs(np.mean(new) - expected) <= Z * se, (
        f"N0={n0}: mean new adopters {np.mean(new):.2f}, Bass formula {expected:.2f} (se {se:.2f})"
    )


# --- 2. One agency's office queue ----------------------------------------------

# (load, capacity per day, replicate queues): the heavy loads relax slowly,
# so they get more independent replicate queues in the same ledger
QUEUES = ((0.3, 1, 20), (0.6, 1, 20), (0.85, 1, 100), (0.3, 3, 20), (0.6, 3, 20), (0.85, 3, 100))
QUEUE_DAYS, QUEUE_WARMUP = 10_000, 1_000


def _queue_run() -> dict[str, np.ndarray]:
    """Simulate the replicate office queues of QUEUES side by side through NeedLedger, route and serve.

    Every replicate is one agency of a ledger; its needs come from one
    offline citizen (citizen id = agency id) so `route` sends them all to the
    agency's office (no account, no hub). Offices serve first come first
    served up to `office` needs a day; offline_resolution = 1 and a patience
    of a million days mean every served need is met and nothing is dropped.
    With quality_half_life = 1 the model's own per-need quality record is
    0.5 ** wait, an exact power of two, so -log2(quality) is the wait in days.
    """
    cfg = load_config(
        [
            "population.internet_penetration=0.0",
            "citizen.offline_resolution=1.0",
            "citizen.patience_days=1000000",
            "citizen.quality_half_life=1.0",
        ]
    )
    lam = np.concatenate([np.full(r, load * c) for load, c, r in QUEUES])
    cap = np.concatenate([np.full(r, c) for _, c, r in QUEUES]).astype(np.int64)
    k = len(lam)
    rng = np.random.default_rng(2024)
    citizens = Citizens(cfg, Geography(k, 1, 8), np.ones(5), rng)
    assert not citizens.connected.any()
    ledger = NeedLedger(Queues(k))
    office0 = ledger.queues.office0
    zeros = np.zeros(k, dtype=np.int64)
    today = AgencyDay(
        has_account=np.zeros(k, dtype=bool),
        clarity=np.ones(k),
        substantive=zeros,
        filler=zeros,
        replies=zeros,
        boilerplate=zeros,
        office=cap,
        responsiveness=np.ones(k),
        hub_active=False,
        hub_capacity=0,
        hub_clarity=0.0,
    )
    backlog_sum = np.zeros(k)
    wait_sum = np.zeros(k)
    closed = np.zeros(k)
    arrived = np.zeros(k)
    for day in range(1, QUEUE_DAYS + 1):
        agency = np.repeat(np.arange(k, dtype=np.int32), rng.poisson(lam))
        ones = np.ones(len(agency), dtype=np.int8)
        ledger.add(agency, ones, ones, agency, day)
        flows = DayFlows(k)
        route(cfg, ledger, citizens, today, 0.0, day, rng, flows)
        done = serve(cfg, ledger, today, day, rng, flows)
        assert done.met.all() and flows.dropped.sum() == 0
        wait = np.rint(-np.log2(done.quality))
        assert wait.sum() == flows.wait_days.sum()  # the outcome the recorder reports
        if day > QUEUE_WARMUP:
            assert (ledger.queue >= office0).all()
            backlog_sum += np.bincount(ledger.queue - office0, minlength=k)
            # waits of needs that arrived after the warm-up, counted when they close
            late = day - wait > QUEUE_WARMUP
            wait_sum += np.bincount(done.citizen[late], weights=wait[late], minlength=k)
            closed += np.bincount(done.citizen[late], minlength=k)
            arrived += np.bincount(agency, minlength=k)
    ledger.check_conservation()
    days = QUEUE_DAYS - QUEUE_WARMUP
    return {"backlog": backlog_sum / days, "wait": wait_sum, "closed": closed, "arrived": arrived}


def _block(index: int) -> slice:
    start = sum(r for _, _, r in QUEUES[:index])
    return slice(start, start + QUEUES[index][2])


def test_office_queue_matches_discrete_time_queueing_theory():
    """Mean end-of-day backlog and mean wait vs the discrete-time queue, Poisson(lam) arrivals, c services a day.

    Loads 0.3, 0.6, 0.85 with c = 1 and c = 3 (one test, one simulation of
    all six side by side: under `pytest -n 2` a shared fixture would be
    simulated once per worker). The model's day: needs arise, are routed to
    the office queue, then the office serves up to c of them, first come
    first served, so today's arrivals can be served today: the end-of-day
    backlog is the Markov chain Q(t+1) = max(Q(t) + A(t) - c, 0),
    A ~ Poisson(lam), lam = load x c. Reference: its exact stationary mean
    (linear solve on 0..250; for c = 1 also the closed form
    lam^2 / (2 (1 - lam)), the M/D/1 delay; M/M/c, with exponential service
    times, does not describe a fixed daily capacity and gives twice that)
    and, by Little's law for end-of-day counts (a need waiting w days is in
    the end-of-day backlog on exactly w days), the mean wait E[W] = E[Q] / lam.

    Tolerance: the simulated time average over 9,000 days x r replicate
    queues has the standard error SE = sqrt(sigma^2 / (9000 r)), sigma^2 the
    asymptotic variance of a time average of Q from the chain's Poisson
    equation (exact, not estimated). Backlog: within 4 SE (3-10 % of the
    mean); wait: within 4 SE / lam + E[W] 4 SE(lam_hat) / lam (the backlog
    and the arrival-rate errors, added). An off-by-one in the day order
    (arrivals served from tomorrow only) adds lam to E[Q]: +35 % at load
    0.85, c = 1, and five times the backlog at load 0.3, far outside.
    """
    run = _queue_run()
    days = QUEUE_DAYS - QUEUE_WARMUP
    failures = []
    for index, (load, c, reps) in enumerate(QUEUES):
        lam = load * c
        block = _block(index)
        mean_q, sigma2 = queue_mean_and_time_average_variance(lam, c)
        if c == 1:
            assert mean_q == pytest.approx(single_server_mean_backlog(lam), rel=1e-9)
        se_q = np.sqrt(sigma2 / (days * reps))
        sim_q = run["backlog"][block].mean()
        if abs(sim_q - mean_q) > Z * se_q:
            failures.append(f"load {load}, c={c}: backlog {sim_q:.4f} vs {mean_q:.4f} (se {se_q:.4f})")
        mean_w = mean_q / lam
        se_lam = np.sqrt(lam / (days * reps))
        sim_w = run["wait"][block].sum() / run["closed"][block].sum()
        tol_w = Z * se_q / lam + mean_w * Z * se_lam / lam
        if abs(sim_w - mean_w) > tol_w:
            failures.append(f"load {load}, c={c}: wait {sim_w:.4f} vs {mean_w:.4f} days (tolerance {tol_w:.4f})")
        # nearly every need that arrived after the warm-up was closed within the run
        assert run["closed"][block].sum() >= run["arrived"][block].sum() - 50 * reps
    assert not failures, "; ".join(failures)


# --- 3. Granovetter's threshold cascade ------------------------------------------

GRANOVETTER_N = 100


def _cascade(counts_needed: np.ndarray, days: int = 130) -> list[int]:
    """Number of citizens posting each day in the full model, on a complete network.

    Citizen i posts when at least counts_needed[i] of the other 99 posted in
    the activity window. The rule is stimulus = weight_social x active share
    of ties >= threshold, with exposure, efficacy and spontaneous posting
    switched off by config; the share is the float32 count x (1/99), so the
    threshold (k - 0.5)/99 is crossed exactly at k active others, half a step
    (0.005) away from either neighbouring share: no float32 tie can flip it.
    """
    cfg = load_config(
        [
            "policy=laissez_faire",
            f"population.n_citizens={GRANOVETTER_N}",
            "population.n_districts=1",
            "population.n_leaders=5",
            "population.internet_penetration=1.0",
            "citizen.weight_social=1.0",
            "citizen.weight_exposure=0.0",
            "citizen.weight_efficacy=0.0",
            "citizen.weight_trust=0.0",
            "citizen.spontaneous_rate=0.0",
            f"days={days}",
        ]
    )
    model = GovSimModel(cfg)
    cit = model.citizens
    assert cit.connected.all()
    cit.ties = complete_ties(GRANOVETTER_N)
    cit.threshold = ((counts_needed - 0.5) / (GRANOVETTER_N - 1)).astype(np.float32)
    posting = []
    for _ in range(days):
        model.step()
        posting.append(int((cit.last_active == model.day).sum()))
    return posting


def _granovetter(counts_needed: np.ndarray, days: int) -> list[int]:
    """Granovetter's recursion r(t+1) = F(r(t)), F(r) = #{i : threshold_i <= r}, r(0) = 0."""
    r, out = 0, []
    for _ in range(days):
        r = int((counts_needed <= r).sum())
        out.append(r)
    return out


def test_granovetter_uniform_thresholds_give_a_full_cascade():
    """Thresholds 0, 1, ..., 99 among 100 citizens: one more joins each day, all 100 by day 100."""
    posting = _cascade(np.arange(GRANOVETTER_N))
    assert posting[:GRANOVETTER_N] == list(range(1, GRANOVETTER_N + 1))
    assert set(posting[GRANOVETTER_N:]) == {GRANOVETTER_N}


def test_granovetter_one_changed_threshold_stops_the_cascade_at_one():
    """Change the citizen with threshold 1 to threshold 2: only the instigator ever posts."""
    needed = np.arange(GRANOVETTER_N)
    needed[1] = 2
    assert set(_cascade(needed)) == {1}


@pytest.mark.parametrize(("sd", "final"), [(15.0, 7), (20.0, GRANOVETTER_N)])
def test_granovetter_recursion_for_normal_thresholds(sd, final):
    """Normal thresholds, mean 25 (Granovetter's second example): the daily count is r(t+1) = F(r(t)).

    On a complete network with synchronous updates the citizens posting on day
    t+1 are exactly those whose threshold is at most the number posting on
    day t (members stay: their count of others never falls), so the whole
    path and its equilibrium, the first fixed point of F, follow the
    recursion. Thresholds are rounded and clipped to 0..99 (seeded draw). The
    two spreads sit on either side of the jump Granovetter describes: with
    sd 15 the cascade stops at 7, with sd 20 it takes everybody.
    """
    rng = np.random.default_rng(78)
    needed = np.clip(np.rint(rng.normal(25.0, sd, GRANOVETTER_N)), 0, GRANOVETTER_N - 1)
    days = 40
    posting = _cascade(needed, days)
    assert posting == _granovetter(needed, days)
    assert posting[-1] == final
