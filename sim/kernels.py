"""Compiled loops (numba) for the daily arithmetic of the crowd, the need ledger, the agencies and the leaders.

The pattern: the random draws are numpy calls on the model's generator, made in the
domain modules (citizens, service, needs, outcomes, agency, leader) in a fixed order; the arithmetic
between two draws runs here as one compiled loop over the rows it concerns, instead of
a chain of numpy temporaries. Each kernel computes in the precision and operation order
of the numpy expression it replaced (float32 where that was float32, no fastmath, so no
fused multiply-add or reassociation), so its results are bitwise those of the numpy rule;
where numpy's order is itself the rule (the pairwise sums of the recorder's means), the
kernel replays it step for step. No transcendental function goes through numpy, whose array
versions take SIMD paths of their own on CPUs with AVX-512 (a run there differed from one
elsewhere). The feed's saturation is an expm1 of the kernels' own, from IEEE-754 basic
operations only (sim/_jit.py: _expm1f): the same float32 on every CPU and with every C
library, and four times faster than glibc's expm1f, as the compiler vectorises it. The
accounts' credibility calls libm's expm1 and a need's quality decay is a table made by C's
pow (sim/service.py: _decay): the same glibc gives the same numbers on any x86-64 CPU with
FMA (glibc picks its variants by CPU, and a new glibc may change a last bit).
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
