"""The compiled kernels themselves (numba); imported on first use by sim.kernels (see its docstring)."""

from __future__ import annotations

from math import factorial

import numba
import numpy as np
from numba import literal_unroll as _unroll

from sim import _bitgen as _rng


# Each kernel module is self-contained (its own _njit and small helpers): numba's on-disk cache
# does not notice when a function a cached kernel calls changes in another module.
def _njit(f):
    return numba.njit(cache=True, nogil=True)(f)


@_njit
def _clip01(v):
    """np.clip(v, 0, 1) of a float32 as numpy's loops do it: NaN and -0.0 pass through."""
    if v < 0:
        return np.float32(0.0)
    if v > 1:
        return np.float32(1.0)
    return v


@_njit
def _max(a, b):
    """np.maximum of two floats (NaN wins, as in numpy)."""
    return a if a > b or np.isnan(a) else b


@_njit
def _min(a, b):
    """np.minimum of two floats (NaN wins, as in numpy)."""
    return a if a < b or np.isnan(a) else b


# exp(x) - 1 of a float32, in float64 from IEEE-754 basic operations only (no libm, no fused
# multiply-add: numba compiles without fastmath), so every CPU and every C library gives the same
# float32; its 53-bit intermediate leaves the float32 correctly rounded but where the exact value lies
# within about 2**-50 of halfway between two floats. x = k ln2 + r with |r| <= ln2 / 2 (ln 2 in two
# parts, k x _LN2_HI exact), expm1(r) by its Taylor series to r**13 (the next term is under 2**-56 of
# expm1(r)), then 2**k (expm1(r) + 1) - 1 with 2**k made from its bits.
_INV_LN2 = 1.4426950408889634
_LN2_HI = float.fromhex("0x1.62e42fee00000p-1")  # ln 2's leading 32 bits
_LN2_LO = float.fromhex("0x1.a39ef35793c76p-33")  # the rest: the sum is ln 2 to 1e-26
_TAYLOR = tuple(1.0 / factorial(n) for n in range(13, 1, -1))  # 1/13! ... 1/2!, for Horner's rule


@_njit
def _expm1f(x):
    """expm1 of a float32 as a float32: NaN and signed zeros as they came, -1 from -17.3287 down, inf from 88.7228 up."""
    d = np.float64(x)
    d = 0.0 if d != d else min(max(d, -20.0), 89.0)  # the clamps change no float32 result
    k = np.floor(d * _INV_LN2 + 0.5)
    r = (d - k * _LN2_HI) - k * _LN2_LO
    p = _TAYLOR[0]
    for c in _TAYLOR[1:]:
        p = p * r + c
    scale = np.int64((np.int64(k) + np.int64(1023)) << np.int64(52)).view(np.float64)  # 2**k
    y = scale * (r + (r * r) * p) + (scale - 1.0)
    return np.float32(y) if d != 0.0 else x


@_njit
def _saturate(minus_x):
    """1 - exp(-x) of a float32, given -x; a zero stays a zero of the other sign, as -expm1 leaves it."""
    return -_expm1f(minus_x)


@_njit
def stimulus_posting(
    last_active, day, window, act_active, act_count, indptr, indices, inv_degree,
    heard, efficacy, trust, threshold, connected, ws, we, wf, wt, spontaneous, voice,
):  # fmt: skip
    """`Citizens.participate`'s threshold rule, with the active-tie counts kept current.

    Updates the active-tie counts (`ActiveNeighbours`) from the citizens whose activity
    changed (active: last_active > day - window), then
    stimulus = frac*ws + we*heard + wf*efficacy + wt*trust in float32 (numpy's order);
    the posters are the connected with stimulus >= threshold and the connected among the
    `spontaneous` (sorted). Returns their ids, ascending and once each, and their voice (float64).
    """
    n = len(last_active)
    cut = day - window
    # who changed, in a pass that vectorises; then their ties, found 8 citizens at a time
    changed = np.empty((n + 7) // 8 * 8, dtype=np.uint8)
    changed[n:] = 0
    for i in range(n):
        changed[i] = (last_active[i] > cut) != act_active[i]
    words = changed.view(np.uint64)
    for w in range(len(words)):
        if words[w] != 0:
            for i in range(8 * w, min(8 * w + 8, n)):
                if changed[i]:
                    a = not act_active[i]
                    step = 1 if a else -1
                    for j in range(indptr[i], indptr[i + 1]):
                        act_count[indices[j]] += step
                    act_active[i] = a
    ids = np.empty(n, dtype=np.int64)
    nc = 0
    for i in range(n):
        s = np.float32(act_count[i]) * inv_degree[i]
        s = s * ws
        s = s + we * heard[i]
        s = s + wf * efficacy[i]
        s = s + wt * trust[i]
        ids[nc] = i
        nc += connected[i] & (s >= threshold[i])
    # the spontaneous posters (`spontaneous` ascending) not posting already, once each, merged in
    extra = spontaneous.copy()
    ne = 0
    for s in spontaneous:
        if connected[s] and (ne == 0 or extra[ne - 1] != s):
            lo, hi = 0, nc  # binary search of s among the posters
            while lo < hi:
                mid = (lo + hi) // 2
                if ids[mid] < s:
                    lo = mid + 1
                else:
                    hi = mid
            if lo == nc or ids[lo] != s:
                extra[ne] = s
                ne += 1
    out = np.empty(nc + ne, dtype=np.int64)
    i = j = 0
    for k in range(nc + ne):
        if j == ne or (i < nc and ids[i] < extra[j]):
            out[k] = ids[i]
            i += 1
        else:
            out[k] = extra[j]
            j += 1
    v = np.empty(nc + ne, dtype=np.float64)
    for k in range(nc + ne):
        v[k] = voice[out[k]]
    return out, v


@_njit
def participate(
    handle, spontaneous_rate, last_active, day, window, act_active, act_count, indptr, indices, inv_degree,
    heard, efficacy, trust, threshold, connected, ws, we, wf, wt, voice, posts,
):  # fmt: skip
    """`Citizens.participate`, its draws from the generator `handle` points at (sim/_bitgen.py), in
    numpy's order: the spontaneous posters, Generator.binomial(n, spontaneous_rate) of them drawn by
    Generator.integers(0, n) and sorted; the threshold rule (`stimulus_posting`); then each poster's
    posts today, 1 + Generator.poisson(voice), in id order. Marks the posters last active today and
    returns their ids."""
    n = len(last_active)
    spontaneous = _rng.integers(handle, n, _rng.binomial(handle, n, spontaneous_rate))
    spontaneous.sort()
    ids, lam = stimulus_posting(
        last_active, day, window, act_active, act_count, indptr, indices, inv_degree, heard, efficacy, trust,
        threshold, connected, ws, we, wf, wt, spontaneous, voice,
    )  # fmt: skip
    _post(ids, _rng.poissons(handle, lam), day, last_active, posts)
    return ids


@_njit
def _post(ids, extra, day, last_active, posts):
    """`participate`'s posters: last active today, and 1 + `extra` more posts each (a function of its
    own, given the draws, as `_thin`)."""
    for j in range(len(ids)):
        i = ids[j]
        last_active[i] = day
        posts[i] += np.int32(1) + np.int32(extra[j])


@_njit
def needs_arising(
    handle, n, p_max, need_rate, ratio_excluded, latent_demand, origin_excluded, efficacy, connected, needs_arisen,
    sector_cdf, level_cdf, district, responsible,
):  # fmt: skip
    """`GovSimModel._needs_arise`, its draws from the generator `handle` points at (sim/_bitgen.py) in
    numpy's order: Generator.binomial(n, p_max) candidates, each a Generator.integers(0, n), then a
    Generator.random() each; a candidate's need arises when u x p_max < need_rate x weight x
    (1 + latent_demand x efficacy), numpy's precisions (the float32 efficacy term in float32, the rest
    float64). Counts them in `needs_arisen`; then draws each need's sector and then each one's level,
    a Generator.random() looked up in the shares' cumulative table as Generator.choice does
    (searchsorted, side right). Returns who, their group (1 excluded), cohort (1 excluded on day 0)
    and agency (`responsible[level, sector, district of who]`), in candidate order."""
    cand = _rng.integers(handle, n, _rng.binomial(handle, n, p_max))
    u = _rng.random(handle, len(cand))
    who, group, cohort = _thin(cand, u, p_max, need_rate, ratio_excluded, latent_demand, origin_excluded, efficacy,
                               connected, needs_arisen)  # fmt: skip
    sector = _rng.random(handle, len(who))
    level = _rng.random(handle, len(who))
    return who, group, cohort, _responsible_of(who, sector, level, sector_cdf, level_cdf, district, responsible)


# The loops over scattered rows are functions of their own, given the draws as arguments: inside the
# kernel that made the draws they ran 2-3x slower at a million citizens (sim/_bitgen.py).
@_njit
def _thin(cand, u, p_max, need_rate, ratio_excluded, latent_demand, origin_excluded, efficacy, connected,
          needs_arisen):  # fmt: skip
    """`needs_arising`'s thinning of the candidates `cand` by their draws `u`."""
    m = len(cand)
    who = np.empty(m, dtype=np.int64)
    group = np.empty(m, dtype=np.int8)
    cohort = np.empty(m, dtype=np.int8)
    k = 0
    for j in range(m):
        c = cand[j]
        weight = ratio_excluded if origin_excluded[c] else 1.0
        p = (need_rate * weight) * np.float64(np.float32(1.0) + latent_demand * efficacy[c])
        if u[j] * p_max < p:
            who[k] = c
            group[k] = not connected[c]
            cohort[k] = origin_excluded[c]
            needs_arisen[c] += 1
            k += 1
    return who[:k], group[:k], cohort[:k]


@_njit
def _responsible_of(who, sector, level, sector_cdf, level_cdf, district, responsible):
    """`needs_arising`'s agency of each need: its level and sector drawn (`level`, `sector`) from the
    cumulative shares, its citizen's district."""
    agency = np.empty(len(who), dtype=responsible.dtype)
    for j in range(len(who)):
        agency[j] = responsible[
            np.searchsorted(level_cdf, level[j], side="right"),
            np.searchsorted(sector_cdf, sector[j], side="right"),
            district[who[j]],
        ]
    return agency


@_njit
def feed_gather(accounts, follows_agency, leaders, follows_leader, attention, with_crit, followed):
    """`GovSimModel._exposure`: each citizen's followed accounts' and leaders' rows summed in slot
    order, the share of the feed read, and the saturation (the tenth item adds less than the first).

    Returns heard (1 - exp(-valuable items read)), criticised (1 - exp(-criticism relayed)) and the
    credibility sum, each a contiguous float32 column; writes the
    accounts followed (a count) into `followed`, a narrow integer column. The tables are read
    as flat rows at unsigned offsets (no negative-index wraparound).
    """
    k, n = follows_agency.shape
    kl = follows_leader.shape[0]
    acc = accounts.ravel()
    lead = leaders.ravel()
    wa = np.uint64(accounts.shape[1])
    wl = np.uint64(leaders.shape[1])
    one, two, three = np.uint64(1), np.uint64(2), np.uint64(3)
    heard = np.empty(n, dtype=np.float32)
    crit = np.empty(n if with_crit else 0, dtype=np.float32)
    cred = np.empty(n, dtype=np.float32)
    # the follow tables flat, slot s of citizen i at s x n + i, all unsigned (no wraparound checks)
    fa = follows_agency.ravel()
    fl = follows_leader.ravel()
    un = np.uint64(n)
    for c in range(n):
        i = np.uint64(c)
        r = np.uint64(fa[i]) * wa
        v0 = acc[r]
        v1 = acc[r + one]
        v2 = acc[r + two]
        v3 = acc[r + three]
        for s in range(1, k):
            r = np.uint64(fa[np.uint64(s) * un + i]) * wa
            v0 += acc[r]
            v1 += acc[r + one]
            v2 += acc[r + two]
            v3 += acc[r + three]
        r = np.uint64(fl[i]) * wl
        w0 = lead[r]
        w1 = lead[r + one]
        w2 = lead[r + two]
        for s in range(1, kl):
            r = np.uint64(fl[np.uint64(s) * un + i]) * wl
            w0 += lead[r]
            w1 += lead[r + one]
            w2 += lead[r + two]
        h = v0 + w0
        f = v1 + w1
        f = _min(np.float32(1.0), attention / _max(f, attention))  # the share of the feed read
        heard[i] = -(h * f)  # the exponents, saturated below
        if with_crit:
            crit[i] = -w2
        cred[i] = v2
        followed[i] = np.int64(v3)  # a sum of ones: exact
    # loops of their own, which the compiler vectorises (the gather above cannot be)
    for i in range(n):
        heard[i] = _saturate(heard[i])
    for i in range(len(crit)):
        crit[i] = _saturate(crit[i])
    return heard, crit, cred


@_njit
def hear(trust, heard, criticised, with_crit, cred_sum, n_followed, connected, gain, loss, learning, pull_on):
    """`Citizens.hear`: the trust change in float32, the credibility pull in float64, in place."""
    for i in range(len(trust)):
        t = trust[i]
        change = gain * heard[i] * (np.float32(1.0) - t)
        if with_crit:
            change = change - loss * criticised[i] * t
        if pull_on:
            c = n_followed[i]
            pull = np.float64(cred_sum[i]) / np.float64(c if c > 1 else 1)
            pull = pull - np.float64(t)
            pull = pull * np.float64(learning)
            if c == 0:
                pull = 0.0
            change = np.float32(np.float64(change) + pull)
        if not connected[i]:  # change *= connected
            change = change * np.float32(0.0)
        trust[i] = _clip01(t + change)


@_njit
def _page_order(keys, shift, limit):
    """A stable counting sort of `keys` (0 <= key < limit) by key >> shift: the order to visit
    them in so that random reads and writes sweep memory; equal keys keep their order."""
    pages = np.zeros((limit >> shift) + 2, dtype=np.int64)
    for k in keys:
        pages[(k >> shift) + 1] += 1
    for b in range(1, len(pages)):
        pages[b] += pages[b - 1]
    order = np.empty(len(keys), dtype=np.int64)
    for i in range(len(keys)):
        b = keys[i] >> shift
        order[pages[b]] = i
        pages[b] += 1
    return order


@_njit
def _key_order(keys, limit):
    """A stable sort of `keys` (0 <= key < limit): by 1024-key page, then by key within each page
    (an insertion sort: a page holds few of them)."""
    order = _page_order(keys, 10, limit)
    for a in range(1, len(order)):
        o = order[a]
        k = keys[o]
        b = a - 1
        while b >= 0 and keys[order[b]] > k:
            order[b + 1] = order[b]
            b -= 1
        order[b + 1] = o
    return order


@_njit
def churn(handle, rate, n, home, follows, credibility, connected, unfollowed, n_agencies):
    """`Citizens.churn`, its draws from the generator `handle` points at (sim/_bitgen.py) in numpy's
    order: Generator.binomial(k x n, rate) slots, each a Generator.integers(0, k x n), then a
    Generator.random() each; then each reconsidered slot is kept or dropped, in draw order.

    Unfollowed-slot counts move by each write's change: over the writes to one slot they add
    up to its final state minus its first, what the per-unique-slot count gives. The slots are
    visited by 4096-slot page (a stable counting sort of the draws), so the random writes become
    one sweep of the tables; a slot drawn twice keeps its draw order, so its last draw decides.
    """
    size = home.size
    slots = _rng.integers(handle, size, _rng.binomial(handle, size, rate))
    _reconsider(slots, _rng.random(handle, len(slots)), n, home, follows, credibility, connected, unfollowed,
                n_agencies)  # fmt: skip


@_njit
def _reconsider(slots, u, n, home, follows, credibility, connected, unfollowed, n_agencies):
    """`churn`'s pass over the reconsidered `slots` with their draws `u` (a function of its own, as `_thin`)."""
    order = _page_order(slots, 12, home.size)
    for j in range(len(slots)):
        i = order[j]
        slot = slots[i] // n
        who = slots[i] - slot * n
        agency = home[slot, who]
        cred = credibility[agency]
        open_ = not np.isnan(cred) and connected[who]
        p = np.float64(cred) if open_ else 1.0
        keep = u[i] < p
        new = agency if (keep or not open_) else n_agencies
        old = follows[slot, who]
        follows[slot, who] = new
        unfollowed[agency] += np.int64(new == n_agencies) - np.int64(old == n_agencies)


@_njit
def learn(efficacy, citizen, success, rate):
    """`Citizens.learn_from_attempts`: deltas from the values before any update, added in order, clipped."""
    m = len(citizen)
    delta = np.empty(m, dtype=np.float32)
    for j in range(m):
        delta[j] = rate * ((np.float32(1.0) if success[j] else np.float32(0.0)) - efficacy[citizen[j]])
    for j in range(m):
        efficacy[citizen[j]] += delta[j]
    for j in range(m):
        efficacy[citizen[j]] = _clip01(efficacy[citizen[j]])


@_njit
def experience(citizen, quality, expectation, satisfaction, trust, efficacy, sl, tl, sf, up, down):
    """`Citizens.experience`: numpy's gathers, np.add.at in index order and the clips, fused.

    Visited citizen by citizen (`_key_order`: a citizen's closed needs in their given order), each
    citizen's four beliefs read and written once: every delta comes from the values before today's
    updates, as the gathers had them, and is added in need order, as np.add.at adds.
    """
    m = len(citizen)
    order = _key_order(citizen, len(expectation))
    j = 0
    while j < m:
        c = citizen[order[j]]
        x = expectation[c]
        s0, t0, f0 = satisfaction[c], trust[c], efficacy[c]
        s, t, f, e = s0, t0, f0, x
        while j < m and citizen[order[j]] == c:
            q = np.float32(quality[order[j]])
            felt = _clip01(np.float32(0.5) + q - x)
            a = _max(q - x, np.float32(0.0))
            b = _max(x - q, np.float32(0.0))
            s += sl * (felt - s0)
            t += tl * (felt - t0)
            f += sf * (felt - f0)
            e += up * a - down * b
            j += 1
        satisfaction[c] = _clip01(s)
        trust[c] = _clip01(t)
        efficacy[c] = _clip01(f)
        expectation[c] = _clip01(e)


@_njit
def serve_heads(handle, q, slots, office0, hub, clarity, replies, boiler, offline_resolution, hub_clarity):
    """`serve`'s heads of every queue (its first `slots` records) and the chance each is resolved, in
    one pass; then whether each is: Generator.random() < chance, in head order, from the generator
    `handle` points at (sim/_bitgen.py).

    A record's rank in its queue is the number of earlier records in that queue (ledger order is
    first come, first served), so the heads come out in ledger order without sorting. Returns the
    heads' positions (ascending), whether each was resolved, and the positions of the hub's mail.
    """
    m = len(q)
    seen = np.zeros(len(slots), dtype=np.int64)
    idx = np.empty(m, dtype=np.int64)
    p = np.empty(m, dtype=np.float64)
    hub_mail = np.empty(m, dtype=np.int64)
    nh = 0
    nm = 0
    for i in range(m):
        qi = q[i]
        r = seen[qi]
        seen[qi] = r + 1
        if qi == hub:
            hub_mail[nm] = i
            nm += 1
        if r < slots[qi]:
            idx[nh] = i
            if qi < office0:
                p[nh] = clarity[qi] * (1.0 if r < replies[qi] else boiler)
            elif qi < hub:
                p[nh] = offline_resolution
            else:
                p[nh] = hub_clarity
            nh += 1
    u = _rng.random(handle, nh)
    resolved = np.empty(nh, dtype=np.bool_)
    for j in range(nh):
        resolved[j] = u[j] < p[j]
    return idx[:nh], resolved, hub_mail[:nm]


@_njit
def serve_close(
    q, submitted, arisen, group, assisted, citizen, idx, resolved, day, retry_days, response_days,
    office0, hub, void, unrouted, n_queues, delay_cap, patience_days, ratio_excluded, delays, replied,
    resolved_by, withdrawn,
):  # fmt: skip
    """`serve` after its draws, one pass in ledger order: answers, withdrawals, drops and returns.

    Adds to the day's histograms and per-agency counts in place and returns the scalar counts
    (answered, online resolved, answered fast, withdrawn, hub replied), the online attempts that
    ended (citizen, success), the closing records (position, met), the records going back, and the
    records that stay open counted as `tally` counts them (per group, and per queue with the returned
    ones unrouted; a code out of range in the last slot): the ledger's counts after the day's settle.
    """
    m = len(q)
    counts = np.zeros(5, dtype=np.int64)
    pending = np.zeros(3, dtype=np.int64)
    sizes = np.zeros(n_queues + 1, dtype=np.int64)
    attempt_citizen = np.empty(m, dtype=citizen.dtype)
    attempt_success = np.empty(m, dtype=np.bool_)
    closing = np.empty(m, dtype=np.int64)
    met = np.empty(m, dtype=np.bool_)
    back = np.empty(m, dtype=np.int64)
    na = nc = nb = 0
    j = 0
    nh = len(idx)
    for i in range(m):
        head = j < nh and idx[j] == i
        res = False
        if head:
            res = resolved[j]
            j += 1
        qi = q[i]
        answered = head and (qi < office0 or qi == hub)
        stale = False
        if answered:
            delay = day - submitted[i]
            counts[0] += 1
            counts[1] += res
            counts[2] += delay <= response_days
            delays[min(delay, delay_cap)] += 1
            if qi == hub:
                counts[4] += 1
            else:
                replied[qi] += 1
                resolved_by[qi] += res
            attempt_citizen[na] = citizen[i]
            attempt_success[na] = res
            na += 1
        elif (qi < office0 or qi == hub or qi == void) and day - submitted[i] >= retry_days:  # noqa: SIM109 (numba)
            stale = True
            counts[3] += 1
            if qi < office0:
                withdrawn[qi] += 1
            attempt_citizen[na] = citizen[i]
            attempt_success[na] = False
            na += 1
        if head and res:
            closing[nc] = i
            met[nc] = True
            nc += 1
            continue
        g = group[i]
        alone = g == 1 and not assisted[i]
        patience = patience_days * (ratio_excluded if alone else 1.0)
        if np.float64(day - arisen[i]) >= patience:
            closing[nc] = i
            met[nc] = False
            nc += 1
            continue
        if head or stale:
            back[nb] = i
            nb += 1
            qi = unrouted
        pending[g if 0 <= g < 2 else 2] += 1
        sizes[qi if 0 <= qi < n_queues else n_queues] += 1
    return (
        counts, attempt_citizen[:na], attempt_success[:na], closing[:nc], met[:nc], back[:nb], pending, sizes
    )  # fmt: skip


@_njit
def choose_channel(
    handle, c, a, group, connected_all, assist_draw, coverage, trust, efficacy, digital_skill, has_account,
    responsiveness, hub_active, trust_weight, misroute_prob, hub, office0, void, costs, burden,
):  # fmt: skip
    """`service.choose_channel`, its draws first (Generator.random((2, m)) from the generator `handle`
    points at, sim/_bitgen.py): each need's queue and helper, and the burden paid.

    `coverage` is compared in the precision numpy compares it (float32 for a Python float);
    `costs` = (online, assisted, offline connected, offline excluded). Adds to `burden` in
    need order (np.bincount's order) and returns queue, assisted, online and misrouted counts.
    """
    m = len(c)
    u = _rng.random(handle, 2 * m).reshape(2, m)
    queue = np.empty(m, dtype=np.int32)
    assisted = np.empty(m, dtype=np.bool_)
    b = np.zeros(2, dtype=np.float64)
    n_online = 0
    n_misrouted = 0
    for i in range(m):
        ci = c[i]
        ai = a[i]
        conn = connected_all[ci]
        covered = (not conn) and assist_draw[ci] < coverage
        reachable = hub_active or has_account[ai]
        if conn:
            tilt = np.float32(1.0) + trust_weight * (np.float32(2.0) * trust[ci] - np.float32(1.0))
            x = efficacy[ci] * tilt
            prop = np.float64(_min(np.float32(1.0), x))
        else:
            prop = responsiveness[ai]
        online = reachable and (conn or covered) and u[0, i] < prop
        assisted[i] = covered and online
        skill = digital_skill[ci] if conn else np.float32(1.0)
        mis = online and (not hub_active) and u[1, i] < np.float64(misroute_prob * (np.float32(1.0) - skill))
        if online:
            queue[i] = hub if hub_active else ai
            cost = costs[0] if conn else costs[1]
        else:
            queue[i] = office0 + ai
            cost = costs[2] if conn else costs[3]
        if mis:
            queue[i] = void
        b[group[i]] += cost
        n_online += online
        n_misrouted += mis
    burden += b
    return queue, assisted, n_online, n_misrouted


@_njit
def crowd_pass(last_active, cut, posts, connected, arisen, met, cutoff, base):
    """`Recorder._state`'s counts over the crowd, in one pass.

    Returns the counts (active: last_active > cut, ever posted, connected, posts in all), the
    posts at or above `cutoff` in row order, and the (needs arisen, needs met) pair counts as a
    table pairs[arisen, met] (base > max(arisen)), counted in 4 interleaved tables so that the
    increments of the commonest pair do not wait on each other (unsigned indices: no wraparound).
    """
    n = len(posts)
    active = ever = conn = total = nc = 0
    candidates = np.empty(n, dtype=posts.dtype)
    pairs = np.zeros(4 * base * base, dtype=np.int64)
    table = np.uint64(base * base)
    row = np.uint64(base)
    for i in range(n):
        active += last_active[i] > cut
        p = posts[i]
        ever += p != 0
        total += p
        candidates[nc] = p
        nc += p >= cutoff
        conn += connected[i]
        pairs[np.uint64(i & 3) * table + np.uint64(arisen[i]) * row + np.uint64(met[i])] += 1
    counts = np.array([active, ever, conn, total], dtype=np.int64)
    pairs = pairs.reshape(4, base, base)
    return counts, candidates[:nc], pairs[0] + pairs[1] + pairs[2] + pairs[3]


@_njit
def tally(codes, width):
    """np.bincount(codes, minlength=width) in one pass when every code is in [0, width): the counts,
    and last the number of codes outside that range (then the caller counts with bincount)."""
    counts = np.zeros(width + 1, dtype=np.int64)
    for i in range(len(codes)):
        c = codes[i]
        counts[c if 0 <= c < width else width] += 1
    return counts


@_njit
def unrouted_start(queue, start, unrouted):
    """`NeedLedger.unrouted_tail` in one pass: `start` if the records from `start` on are exactly
    those in queue `unrouted` (none before it), else -1."""
    n = len(queue)
    if not 0 <= start <= n:
        return -1
    for i in range(n):
        if (queue[i] == unrouted) != (i >= start):
            return -1
    return start


@_njit
def compact(columns, size, closed, back):
    """`NeedLedger.settle`'s compaction of every ledger column, in place: the records at `closed`
    (ascending) go, the others keep their order, then the records at `back` (ascending, disjoint
    from closed) move to the end. The moves are planned once: from the first record removed on,
    the positions of the records kept in place (they only move forward, src[w] >= first + w, so
    one forward pass per column gathers them in place)."""
    nc = len(closed)
    nb = len(back)
    first = size
    if nc:
        first = closed[0]
    if nb and back[0] < first:
        first = back[0]
    src = np.empty(max(size - first - nc - nb, 0), dtype=np.int64)
    w = 0
    ic = 0
    ib = 0
    for i in range(first, size):
        if ic < nc and closed[ic] == i:
            ic += 1
        elif ib < nb and back[ib] == i:
            ib += 1
        else:
            src[w] = i
            w += 1
    for b in _unroll(columns):
        moved = np.empty(nb, dtype=b.dtype)
        for j in range(nb):
            moved[j] = b[back[j]]
        for w in range(len(src)):
            b[first + w] = b[src[w]]
        w = first + len(src)
        for j in range(nb):
            b[w + j] = moved[j]


@_njit
def feed_tables(substantive, filler, clarity, credibility, filler_value, relays, criticisms, relay_weight):
    """`GovSimModel._exposure`'s account and leader tables (float32, a zero pad row each) and whether
    any leader criticised today; the account values in float64 first, as numpy's stack has them."""
    n = len(substantive)
    accounts = np.zeros((n + 1, 4), dtype=np.float32)
    for i in range(n):
        accounts[i, 0] = np.float32((np.float64(substantive[i]) + filler_value * np.float64(filler[i])) * clarity[i])
        accounts[i, 1] = np.float32(np.float64(substantive[i] + filler[i]))
        c = credibility[i]
        if not np.isnan(c):
            accounts[i, 2] = c
            accounts[i, 3] = np.float32(1.0)
    nl = len(relays)
    leaders = np.zeros((nl + 1, 3), dtype=np.float32)
    any_crit = False
    for i in range(nl):
        r = np.float32(relays[i])
        leaders[i, 0] = r * relay_weight
        leaders[i, 1] = r
        leaders[i, 2] = np.float32(criticisms[i])
        any_crit = any_crit or criticisms[i] != 0
    return accounts, leaders, any_crit


@_njit
def close_counts(
    group, cohort, arisen, met, day, decay, n_met, n_dropped, f_met, f_dropped, f_met_cohort, f_dropped_cohort,
    wait_days,
):  # fmt: skip
    """`close_needs`' counts (the ledger's and the day's, in place), each closed need's quality
    (decay[wait] if met, else 0) and their sum (as numpy sums); the waits of met needs summed per
    group in need order, as np.bincount's weights are."""
    m = len(group)
    quality = np.zeros(m, dtype=np.float64)
    ws = np.zeros(2, dtype=np.float64)
    for i in range(m):
        g = group[i]
        w = np.float64(day - arisen[i])
        if met[i]:
            quality[i] = decay[day - arisen[i]]
            n_met[g] += 1
            f_met[g] += 1
            f_met_cohort[cohort[i]] += 1
            ws[g] += w
        else:
            n_dropped[g] += 1
            f_dropped[g] += 1
            f_dropped_cohort[cohort[i]] += 1
    wait_days += ws
    return quality, _pairwise_sum(quality, 0, m)


# --- the recorder's statistics, summed as numpy sums ---------------------------------------------------------------
_U1, _U2, _U3, _U4, _U5, _U6, _U7, _U8 = (np.uint64(k) for k in range(1, 9))  # the block's offsets, unsigned


@_njit
def _block_sum(a, lo, n):
    """numpy's pairwise summation of n <= 128 floats of a from lo: under 8 in order, else in 8
    interleaved accumulators, then the rest in order. The accumulators are a's type."""
    if n < 8:
        res = np.zeros(1, dtype=a.dtype)[0]
        for i in range(lo, lo + n):
            res += a[i]
        return res
    # unsigned indices: numba checks a signed index for wrap-around, which keeps the compiler from
    # packing the eight accumulators into one vector (2.2x slower)
    u = np.uint64(lo)
    r0, r1, r2, r3 = a[u], a[u + _U1], a[u + _U2], a[u + _U3]
    r4, r5, r6, r7 = a[u + _U4], a[u + _U5], a[u + _U6], a[u + _U7]
    u += _U8
    end = np.uint64(lo + n - n % 8)
    while u < end:
        r0 += a[u]
        r1 += a[u + _U1]
        r2 += a[u + _U2]
        r3 += a[u + _U3]
        r4 += a[u + _U4]
        r5 += a[u + _U5]
        r6 += a[u + _U6]
        r7 += a[u + _U7]
        u += _U8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    k = np.int64(end)
    while k < lo + n:
        res += a[k]
        k += 1
    return res


@_njit
def _pairwise_sum(a, lo, n):
    """np.add.reduce of the n floats of a from lo, step for step as numpy sums a contiguous float
    array: blocks of at most 128 (`_block_sum`); above, the two halves (the first a multiple of 8)
    summed apart and added. The halving tree is walked with a stack: numba's cache cannot load a
    recursive kernel."""
    if n <= 128:
        return _block_sum(a, lo, n)
    depth = 64  # the tree of 2**63 floats is 56 deep
    start = np.empty(depth, dtype=np.int64)
    size = np.empty(depth, dtype=np.int64)
    phase = np.zeros(depth, dtype=np.int8)
    values = np.empty(depth, dtype=a.dtype)
    start[0], size[0] = lo, n
    top = 1  # frames on the stack
    v = 0  # values on the stack
    while top:
        f = top - 1
        m = size[f]
        if m <= 128:
            values[v] = _block_sum(a, start[f], m)
            v += 1
            top -= 1
            continue
        half = m // 2
        half -= half % 8
        if phase[f] == 0:  # the first half
            phase[f] = 1
            start[top], size[top], phase[top] = start[f], half, 0
            top += 1
        elif phase[f] == 1:  # the second half
            phase[f] = 2
            start[top], size[top], phase[top] = start[f] + half, m - half, 0
            top += 1
        else:  # both summed: first + second
            v -= 1
            values[v - 1] = values[v - 1] + values[v]
            top -= 1
    return values[0]


@_njit
def _mean(x):
    """float(x.mean()) of a float array: the pairwise sum over the count (in float64), rounded to x's type."""
    m = np.empty(1, dtype=x.dtype)
    m[0] = np.float64(_pairwise_sum(x, 0, len(x))) / np.float64(len(x))
    return np.float64(m[0])


@_njit
def crowd_means(efficacy, trust, satisfaction, expectation):
    """The crowd's mean efficacy, trust, satisfaction and expectation, each as float(x.mean())."""
    return np.array([_mean(efficacy), _mean(trust), _mean(satisfaction), _mean(expectation)])


@_njit
def agency_outcomes(has_account, ghost, last_resolution, cut, skill, motivation, pressure, credibility, clarity):
    """`Recorder._state`'s agency statistics: the accounts, the ghosts among them (`Agencies.ghost`),
    those with a resolution after `cut`; the mean skill, motivation and pressure of all agencies, and
    the mean credibility and clarity of the accounts (NaN if none)."""
    n = len(has_account)
    n_acc = n_ghost = n_recent = 0
    cred = np.empty(n)
    clar = np.empty(n)
    for i in range(n):
        if has_account[i]:
            cred[n_acc] = credibility[i]
            clar[n_acc] = clarity[i]
            n_acc += 1
            n_ghost += ghost[i]
            n_recent += last_resolution[i] > cut
    means = np.array([_mean(skill), _mean(motivation), _mean(pressure), np.nan, np.nan])
    if n_acc:
        means[3] = _mean(cred[:n_acc])
        means[4] = _mean(clar[:n_acc])
    return np.array([n_acc, n_ghost, n_recent], dtype=np.int64), means


@_njit
def window_sums(flow_table, lo, hi, delays):
    """One day's window of `Recorder._columns`: each flow row summed over days lo..hi-1 (as numpy sums
    a row), and the median of the reply-delay histogram over those days (NaN if it is empty)."""
    rows = flow_table.shape[0]
    sums = np.empty(rows)
    for r in range(rows):
        sums[r] = _pairwise_sum(flow_table[r], lo, hi - lo)
    width = delays.shape[1]
    hist = np.zeros(width, dtype=np.int64)
    for d in range(lo, hi):
        for j in range(width):
            hist[j] += delays[d, j]
    total = hist.sum()
    if total == 0:
        return sums, np.nan
    half = (total + 1) / 2  # the first delay whose cumulative count reaches it (searchsorted, left)
    seen = 0
    for j in range(width):
        seen += hist[j]
        if seen >= half:
            return sums, np.float64(j)
    return sums, np.float64(width)


@_njit
def window_table(flow_table, days, window, delays):
    """`window_sums` for each of `days` (its window: the `window` days ending on it, from day 1 on):
    the flow sums as (flows, days) and the median delays."""
    sums = np.empty((flow_table.shape[0], len(days)))
    medians = np.empty(len(days))
    for i in range(len(days)):
        day = days[i]
        row, medians[i] = window_sums(flow_table, max(1, day - window + 1), day + 1, delays)
        sums[:, i] = row
    return sums, medians


@_njit
def top_posts(candidates, posts, n_top):
    """The sum and the smallest of the n_top largest candidates (of all posts if there are fewer
    candidates): any selection of the n_top largest has the same sum and minimum."""
    c = candidates if len(candidates) >= n_top else posts
    k = len(c) - n_top
    part = np.partition(c, k)
    total = np.int64(0)
    least = part[k]
    for i in range(k, len(c)):
        total += part[i]
        least = min(least, part[i])
    return total, np.int64(least)


@_njit
def gini_of_pairs(pairs):
    """`outcomes.gini_of_shares` over the table pairs[arisen, met], in numpy's operation order: the
    cells of rows >= 1 in flat order, stably sorted by share, the Lorenz curve by a running sum."""
    base = pairs.shape[1]
    m = 0
    for r in range(1, pairs.shape[0]):
        for c in range(base):
            m += pairs[r, c] != 0
    share = np.empty(m)
    weight = np.empty(m)
    j = 0
    for r in range(1, pairs.shape[0]):
        for c in range(base):
            if pairs[r, c] != 0:
                share[j] = c / r
                weight[j] = np.float64(pairs[r, c])
                j += 1
    order = np.argsort(share, kind="mergesort")
    w = weight[order]
    xw = share[order] * w
    total = _pairwise_sum(xw, 0, m)
    if total == 0:
        return 0.0
    area = np.empty(m)
    run = 0.0
    prev = 0.0
    for i in range(m):
        run += xw[i]
        lorenz = run / total
        area[i] = w[i] * (prev + lorenz)
        prev = lorenz
    return 1.0 - _pairwise_sum(area, 0, m) / _pairwise_sum(w, 0, m)
