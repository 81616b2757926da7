"""Compiled kernels for the citizens' daily arithmetic (numba), bitwise equal to the numpy rules.

Spike (issue 10): the random draws stay in numpy (the same calls, in the same order, on
the same Generator); only the arithmetic between draws runs here, element by element, in
the precision and operation order the numpy expressions use (float32 where numpy computes
in float32, each product and sum rounded as numpy rounds it, no fastmath, so no fused
multiply-add). Transcendental functions (exp, expm1, power) stay in numpy: its SIMD
versions may differ in the last bit from the libm numba calls.

`ENABLED` switches the kernels on (the default when numba imports); `GOVSIM_NUMBA=0` in the
environment, or setting `sim.kernels.ENABLED = False`, runs the plain numpy rules instead.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any

HAVE_NUMBA = importlib.util.find_spec("numba") is not None
ENABLED = HAVE_NUMBA and os.environ.get("GOVSIM_NUMBA", "1") != "0"


def __getattr__(name: str) -> Any:
    """The kernels (sim._jit) load on first use: importing numba costs half a second, and
    commands that run no model (`python -m experiments list`) should not pay it."""
    if name.startswith("__"):
        raise AttributeError(name)
    from sim import _jit

    for key, value in vars(_jit).items():
        if not key.startswith("_") and key not in ("numba", "np", "annotations"):
            globals().setdefault(key, value)
    try:
        return globals()[name]
    except KeyError:
        raise AttributeError(name) from None
