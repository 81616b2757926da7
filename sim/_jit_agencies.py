"""The agencies' and leaders' compiled kernels, and the day's books (numba); imported on first use by sim.kernels.

Each kernel is one rule of sim/agency.py or sim/leader.py after its draws, agency by
agency (120 at the default city), in the precision and operation order of the numpy
expression it replaced: at this size a day is a few hundred small numpy calls, and
each costs more than its arithmetic. The rules are stated where they are called
(`Agencies.adopt`, `plan`, `settle`, `Leaders.act`); the derived columns they read
(clarity, office and casework hours) come in as arrays computed by their one Python
definition.
"""

from __future__ import annotations

from math import expm1 as _expm1  # libm's, in the kernels (numba compiles the call)

import numba
import numpy as np

from sim import _bitgen as _rng


# Each kernel module is self-contained (its own _njit and small helpers): numba's on-disk cache
# does not notice when a function a cached kernel calls changes in another module.
def _njit(f):
    return numba.njit(cache=True, nogil=True)(f)


@_njit
def stochastic_round(x, u):
    """floor(x + u) for x > 0, else 0: unbiased whole units of work (u uniform in [0, 1))."""
    return np.int64(np.floor(x + u)) if x > 0 else np.int64(0)


@_njit
def _min(a, b):
    """np.minimum of two floats (NaN wins, as in numpy)."""
    return a if a < b or np.isnan(a) else b


@_njit
def agency_adopt(handle, has_account, account_day, motivation, mandated, rate, prior, mandate_on, forced, day):
    """`Agencies.adopt`: hazard = rate x motivation / prior, or `forced` if mandated, against one
    Generator.random() an agency, drawn for all of them first (sim/_bitgen.py)."""
    u = _rng.random(handle, len(has_account))
    for i in range(len(u)):
        hazard = rate * motivation[i] / prior
        if mandate_on and mandated[i]:
            hazard = forced
        if not has_account[i] and u[i] < hazard:
            has_account[i] = True
            account_day[i] = day


@_njit
def agency_plan(
    handle, has_account, mandated, pressure, motivation, skill, clarity, inbox, office_capacity, posting_hours,
    caseload_hours, period_count, diversion, cost_reply, cost_post, hub_share, audit_crowding,
    base_compliance, metric, audit_on, target, unit_cost, office_out, hub_hours, substantive, replies_out, filler,
    boilerplate,
):  # fmt: skip
    """`Agencies.plan`, its draws first: Generator.random((5, n)) from the generator `handle` points at
    (sim/_bitgen.py), whose rows are the office, audit, replies and posts draws and a spare row.

    metric: 1 posts, 2 replies, 3 resolutions (0 none); audit_on: the metric is audited
    with a quota; target: the pro-rata quota today; unit_cost: hours per audit unit.
    Writes today's office cases, hub hours, substantive posts, replies, filler and boilerplate.
    """
    n = len(has_account)
    u = _rng.random(handle, 5 * n).reshape(5, n)
    for i in range(n):
        acc = has_account[i]
        m, s = motivation[i], skill[i]
        # agencies pressed by the mandate or the audit divert office capacity online
        office = office_capacity[i]
        diverted = diversion * office if acc and (mandated[i] or pressure[i] > 0) else 0.0
        office_out[i] = stochastic_round(office - diverted, u[0, i])
        post_hours = posting_hours[i] if acc else 0.0
        case_hours = caseload_hours[i] + diverted * cost_reply if acc else 0.0
        # a share of the casework goes to the hub
        pooled = hub_share * case_hours
        hub_hours[i] = pooled * m * s
        case_hours = case_hours - pooled
        hours = post_hours + case_hours
        effort = hours * m
        idle = hours - effort
        post_share = post_hours / hours if hours > 0 else 0.0
        # audit work is bounded by the inbox left over after the replies effort would give anyway
        room = np.float64(inbox[i]) - np.floor(effort * s / cost_reply)
        if room < 0:  # np.maximum(0, room)
            room = 0.0
        units_f = 0.0
        cost = 0.0  # hours per unit today (0: no audit work)
        if audit_on:
            # the pro-rata gap left after what today's effort delivers anyway, closed with compliance
            replies = effort * s / cost_reply
            if metric == 1:
                planned = effort * post_share * (1.0 - s) / cost_post
            elif metric == 2:
                planned = replies
            else:
                planned = replies * clarity[i]
            gap = target - np.float64(period_count[i]) - planned
            compliance = _min(1.0, base_compliance + pressure[i])
            if metric == 3:  # units are real replies, each resolving with clarity
                gap = gap / clarity[i]
            units = stochastic_round(compliance * gap, u[1, i]) if acc and gap > 0 else np.int64(0)
            if metric != 1:  # filler can always be posted; answers need someone who asked
                units = np.int64(_min(np.float64(units), room))
            units_f = np.float64(units)
            cost = unit_cost
        # audit hours come first, a share audit_crowding of them out of effort, the rest from idle hours
        audit_cost = units_f * cost
        from_effort = _min(effort, audit_crowding * audit_cost)
        affordable = _min(audit_cost, from_effort + idle)
        done = np.floor(affordable / cost + 1e-9) if cost > 0 else 0.0
        units = np.int64(_min(units_f, done))
        left = effort - _min(from_effort, np.float64(units) * cost)
        substantive[i] = stochastic_round(left * post_share * (1.0 - s) / cost_post, u[3, i])
        wanted = stochastic_round(left * s / cost_reply, u[2, i])
        asked = inbox[i]
        replies_i = min(asked, wanted)
        filler[i] = units if metric == 1 and acc else 0
        boilerplate[i] = min(units, asked - replies_i) if metric == 2 else 0
        if metric == 3:
            replies_i = min(asked, replies_i + units)
        replies_out[i] = replies_i


@_njit
def agency_settle(
    replied, resolved, withdrawn, substantive, filler, replies, clarity, alpha, boiler_factor, filler_value, day,
    answered_ema, ended_ema, value_ema, items_ema, posts_total, filler_total, replies_total, resolutions_total,
    period_counts, last_substantive_day, last_reply_day, last_resolution_day,
):  # fmt: skip
    """`Agencies.settle`: the day's smoothed counts, totals and last days, in place."""
    for i in range(len(replied)):
        rd = replied[i]
        answered_ema[i] += alpha * (np.float64(rd) - answered_ema[i])
        ended_ema[i] += alpha * (np.float64(rd + withdrawn[i]) - ended_ema[i])
        # real replies first, then boilerplate ones (a fraction of the clarity)
        real = min(replies[i], rd)
        boiler = np.float64(rd - real) * boiler_factor
        value = (
            np.float64(substantive[i]) + filler_value * np.float64(filler[i]) + np.float64(real) + boiler
        ) * clarity[i]
        items = substantive[i] + filler[i] + rd
        value_ema[i] += alpha * (value - value_ema[i])
        items_ema[i] += alpha * (np.float64(items) - items_ema[i])
        posts = substantive[i] + filler[i]
        posts_total[i] += posts
        filler_total[i] += filler[i]
        replies_total[i] += rd
        resolutions_total[i] += resolved[i]
        period_counts[0, i] += posts
        period_counts[1, i] += rd
        period_counts[2, i] += resolved[i]
        if substantive[i] > 0:
            last_substantive_day[i] = day
        if rd > 0:
            last_reply_day[i] = day
        if resolved[i] > 0:
            last_resolution_day[i] = day


@_njit
def agency_responsiveness(answered_ema, ended_ema):
    """answered / ended requests, smoothed; 1 where none ended yet."""
    n = len(answered_ema)
    out = np.empty(n, dtype=np.float64)
    for i in range(n):
        out[i] = answered_ema[i] / ended_ema[i] if ended_ema[i] > 1e-9 else 1.0
    return out


@_njit
def agency_credibility(value_ema, items_ema, window):
    """`Agencies.credibility`: value share of the items (0 without items) x (1 - exp(-items x window)),
    as numpy's float64 expression computes it, with libm's expm1 (not numpy's AVX-512 SIMD version)."""
    n = len(items_ema)
    out = np.empty(n)
    for i in range(n):
        items = items_ema[i]
        share = value_ema[i] / items if items > 1e-12 else 0.0
        out[i] = share * -_expm1(-items * window)
    return out


@_njit
def account_credibility_table(has_account, credibility):
    """Credibility per account as float32, NaN without an account, plus the NaN pad."""
    n = len(has_account)
    out = np.empty(n + 1, dtype=np.float32)
    for i in range(n):
        out[i] = np.float32(credibility[i]) if has_account[i] else np.float32(np.nan)
    out[n] = np.float32(np.nan)
    return out


@_njit
def leader_act(
    handle, watched, substantive, filler, filler_value, clarity, relay_prob, has_account, responsiveness, threshold,
    criticism_prob,
):  # fmt: skip
    """`Leaders.act`: per watched account, posts to relay (filler as filler_value of a post, rounded half
    to even) each relayed with chance relay_prob x clarity, drawn as Generator.binomial(posts, chance)
    over the (leaders, watched) table in row order, summed per leader; then per leader, the unresponsive
    accounts watched, each criticised with chance criticism_prob (Generator.binomial, one draw a leader).
    The draws come from the generator `handle` points at (sim/_bitgen.py). Returns relays, criticisms."""
    n_leaders, k = watched.shape
    posts = np.empty(n_leaders * k, dtype=np.int64)
    chance = np.empty(n_leaders * k, dtype=np.float64)
    unresponsive = np.empty(n_leaders, dtype=np.int64)
    for j in range(n_leaders):
        count = 0
        for w in range(k):
            a = watched[j, w]
            posts[j * k + w] = np.int64(np.rint(np.float64(substantive[a]) + filler_value * np.float64(filler[a])))
            chance[j * k + w] = relay_prob * clarity[a]
            if has_account[a] and responsiveness[a] < threshold:
                count += 1
        unresponsive[j] = count
    relays = _rng.binomials(handle, posts, chance).reshape(n_leaders, k).sum(axis=1)
    criticisms = _rng.binomials(handle, unresponsive, np.full(n_leaders, criticism_prob))
    return relays, criticisms


@_njit
def book_served(citizen, met, day, needs_met, last_served):
    """`GovSimModel.step`'s books of the needs closed today: each met one counts for its citizen, on `day`."""
    for i in range(len(citizen)):
        if met[i]:
            c = citizen[i]
            needs_met[c] += 1
            last_served[c] = day
