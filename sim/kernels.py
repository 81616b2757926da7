"""Compiled loops (numba) for the daily arithmetic of the crowd, the need ledger, the agencies and the leaders.

The pattern: each rule of sim/citizens.py, service.py, needs.py, outcomes.py, agency.py and leader.py
runs here as one compiled loop over the rows it concerns, instead of a chain of numpy temporaries.
The day's random draws come from the model's generator in a fixed order: most inside the kernels,
which get the generator as the addresses of its state and its next-number functions
(`generator_handle`) and draw with sim/_bitgen.py's compiled twins of numpy's calls (numba's ports
of numpy's algorithms, and numpy's own Poisson PTRS, which numba's port gets wrong), so each draw
is the one the numpy call it replaced made, and the generator ends where that call left it;
the rest (the hub's and the programmes' few draws, the audits' tie-break) are numpy calls in the
domain modules. Each kernel computes in the precision and operation order
of the numpy expression it replaced (float32 where that was float32, no fastmath, so no
fused multiply-add or reassociation), so its results are bitwise those of the numpy rule,
transcendental functions aside (below);
where numpy's order is itself the rule (the pairwise sums of the recorder's means), the
kernel replays it step for step. No transcendental function goes through numpy, whose array
versions take SIMD paths of their own on CPUs with AVX-512 (a run there differed from one
elsewhere). The feed's saturation is an expm1 of the kernels' own, from IEEE-754 basic
operations only (sim/_jit.py: _expm1f): the same float32 on every CPU and with every C
library, and four times faster than glibc's expm1f, as the compiler vectorises it. The
accounts' credibility calls libm's expm1 and a need's quality decay is a table made by C's
pow (sim/service.py: _decay): the same glibc gives the same numbers on any x86-64 CPU with
FMA (glibc picks its variants by CPU, and a new glibc may change a last bit); so do the draws'
logarithms and exponentials, which numpy's own draws take from libm too.
The agencies' and leaders' rules (a hundred rows at the default city, where each numpy
call costs more than its arithmetic) are compiled the same way, in sim/_jit_agencies.py;
their rules are stated where they are called.

The kernels live in the modules of `_MODULES` and load on first use: importing numba costs half a second,
and commands that run no model (`python -m experiments list`) should not pay it. Each is
compiled once per machine and cached next to its source (numba's `cache=True`).
"""

from __future__ import annotations

from typing import Any

# the modules that hold the kernels, loaded together on first use
_MODULES = ("sim._jit", "sim._jit_agencies")


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    import importlib

    for module in _MODULES:
        for key, value in vars(importlib.import_module(module)).items():
            if not key.startswith("_") and key not in ("numba", "np", "annotations"):
                globals().setdefault(key, value)
    try:
        return globals()[name]
    except KeyError:
        raise AttributeError(name) from None


# the bit generators whose handles were made last, each kept alive with its handle (so the addresses
# stay valid while a kernel may read them); a Generator is neither hashable by content nor weakly
# referable, so the cache is a short list searched by identity
_HANDLES: list[tuple[object, Any]] = []


def generator_handle(rng: Any) -> Any:
    """The addresses a compiled kernel draws from `rng` with (sim/_bitgen.py: _bitgen): its bit generator's
    state and its next_uint64, next_uint32 and next_double functions, as a read-only uintp array."""
    bit_generator = rng.bit_generator
    for owner, handle in _HANDLES:
        if owner is bit_generator:
            return handle
    import ctypes

    import numpy as np

    c = bit_generator.ctypes
    handle = np.array(
        [
            c.state_address,
            *(ctypes.cast(f, ctypes.c_void_p).value for f in (c.next_uint64, c.next_uint32, c.next_double)),
        ],
        dtype=np.uintp,
    )
    handle.flags.writeable = False
    _HANDLES.insert(0, (bit_generator, handle))
    del _HANDLES[8:]
    return handle
