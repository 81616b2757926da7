"""The model's random generator inside the compiled kernels, handed over as an array of addresses.

numba accepts a numpy Generator as a kernel argument, but unboxing one costs 10-17 us a call (it casts
three ctypes function pointers), more than the draws a kernel makes with it. A BitGenerator's ctypes
interface gives the address of its state and of its next_uint64, next_uint32 and next_double
functions: `sim.kernels.generator_handle` passes them as a small uintp array (0.3 us), and each
function here rebuilds numba's own bit-generator struct from it (`_bitgen`). numba's ports of
numpy's distributions (numba.np.random) then draw from the very state numpy's methods use, with
numpy's algorithms (numba tracks numpy's versions: the BTPE fix of numpy 2.5, for one): the same
numbers in the same order as the numpy call a kernel replaces, and the Generator is left where that
call leaves it; but for numba's Poisson PTRS, which differs from numpy's, so its port is here.
tests/test_kernels.py holds each function to its numpy method, bit for bit, on a million draws.

Each function is one numpy call (`random`, `integers`, `binomial`, `binomials`, `poissons`), compiled
on its own: a kernel calls it for the arrays of draws it needs, then loops over its rows without a
call inside. A draw inlined into a loop over scattered rows (an opaque call through a function
pointer per row) made that loop 2-3x slower at a million citizens (the churn 1.2 -> 3.0 ms a day).

Kernels that call these are compiled with them: numba's on-disk cache does not notice an edit here,
so after one, delete the caches (`find sim -name '*.nb[ic]' -delete`).
"""

from __future__ import annotations

import numba
import numpy as np
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic, register_jitable
from numba.np.random.distributions import random_binomial, random_loggam, random_poisson_mult
from numba.np.random.generator_core import next_double, next_uint32
from numba.np.random.random_methods import bounded_lemire_uint64, buffered_bounded_lemire_uint32

_BIT_GENERATOR = types.NumPyRandomBitGeneratorType("bit_generator")


def _njit(f):
    return numba.njit(cache=True, nogil=True)(f)


# the handle's layout, as sim.kernels.generator_handle writes it
_STATE, _NEXT_UINT64, _NEXT_UINT32, _NEXT_DOUBLE = range(4)


@intrinsic
def _bitgen(typingctx, handle):
    """numba's bit-generator struct for the generator whose addresses `handle` (a uintp array) holds."""
    if not (isinstance(handle, types.Array) and handle.dtype == types.uintp and handle.ndim == 1):
        return None
    sig = _BIT_GENERATOR(handle)

    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, value=args[0]).data

        def address(slot: int):
            return builder.load(cgutils.gep(builder, data, slot))

        struct = cgutils.create_struct_proxy(_BIT_GENERATOR)(context, builder)
        struct.parent = context.get_constant_null(types.pyobject)  # no Python object behind it
        struct.state_address = address(_STATE)
        struct.state = address(_STATE)
        struct.fnptr_next_uint64 = address(_NEXT_UINT64)
        struct.fnptr_next_uint32 = address(_NEXT_UINT32)
        struct.fnptr_next_double = address(_NEXT_DOUBLE)
        return struct._getvalue()

    return sig, codegen


@register_jitable
def _below(bg, n):
    """One draw of Generator.integers(0, n) (int64, n >= 1): numpy's bounded fill for a range of n - 1,
    Lemire's rejection on 32-bit draws when the range fits in 32 bits, on 64-bit draws above."""
    r = types.uint64(n - 1)
    u32_max = types.uint64(0xFFFFFFFF)
    if r == types.uint64(0):
        return types.int64(0)
    if r < u32_max:
        return types.int64(buffered_bounded_lemire_uint32(bg, r))
    if r == u32_max:
        return types.int64(next_uint32(bg))
    # n - 1 <= 2**63 - 2: never the full 64-bit range
    return types.int64(bounded_lemire_uint64(bg, r))


@register_jitable
def _poisson_ptrs(bg, lam):
    """numpy's transformed rejection (PTRS, Hoermann 1993) for lam >= 10, as numpy writes it: k is
    the floor of its real value. numba 0.68's port truncates instead, so a value in (-1, 0) becomes 0,
    which numpy rejects as -1 (about 1 draw in 50,000 at lam near 10 differed, and the stream after it)."""
    slam = np.sqrt(lam)
    loglam = np.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    invalpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2)
    while True:
        u = next_double(bg) - 0.5
        v = next_double(bg)
        us = 0.5 - np.fabs(u)
        k = types.int64(np.floor((2 * a / us + b) * u + lam + 0.43))
        if us >= 0.07 and v <= vr:
            return k
        if k < 0 or (us < 0.013 and v > us):
            continue
        accept = -lam + k * loglam - random_loggam(types.float64(k + 1))
        if np.log(v) + np.log(invalpha) - np.log(a / (us * us) + b) <= accept:
            return k


@register_jitable
def _poisson(bg, lam):
    """One draw of Generator.poisson(lam), lam >= 0 (unchecked): numpy's multiplication method below
    10, its PTRS from 10 on."""
    if lam >= 10:
        return _poisson_ptrs(bg, lam)
    if lam == 0:
        return types.int64(0)
    return types.int64(random_poisson_mult(bg, lam))


@_njit
def random(handle, size):
    """Generator.random(size), size an integer: float64s in [0, 1)."""
    bg = _bitgen(handle)
    out = np.empty(size, dtype=np.float64)
    for i in range(size):
        out[i] = next_double(bg)
    return out


@_njit
def integers(handle, n, size):
    """Generator.integers(0, n, size), n >= 1 and size integers: int64s."""
    bg = _bitgen(handle)
    out = np.empty(size, dtype=np.int64)
    for i in range(size):
        out[i] = _below(bg, n)
    return out


@_njit
def binomial(handle, n, p):
    """Generator.binomial(n, p) of an integer n >= 0 and a float p in [0, 1] (unchecked): one int64."""
    return random_binomial(_bitgen(handle), types.int64(n), types.float64(p))


@_njit
def binomials(handle, n, p):
    """Generator.binomial(n, p) of two 1-d arrays of one length, n >= 0 and p in [0, 1] (unchecked)."""
    bg = _bitgen(handle)
    out = np.empty(len(n), dtype=np.int64)
    for i in range(len(n)):
        out[i] = random_binomial(bg, types.int64(n[i]), types.float64(p[i]))
    return out


@_njit
def poissons(handle, lam):
    """Generator.poisson(lam) of a 1-d array, lam >= 0 (unchecked): int64s."""
    bg = _bitgen(handle)
    out = np.empty(len(lam), dtype=np.int64)
    for i in range(len(lam)):
        out[i] = _poisson(bg, types.float64(lam[i]))
    return out
