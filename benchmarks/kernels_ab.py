"""A/B of the compiled kernels (sim.kernels) against the numpy rules, in one process.

    python -m benchmarks.kernels_ab                                   # 10,000 citizens x 1,095 days
    python -m benchmarks.kernels_ab population.n_citizens=1000000 days=30

Runs the same model with the kernels off and on, REPS times each (alternating, env REPS,
default 2), after a warm-up run that loads (or compiles) the kernels. Reports the total
ms/day as wall and process CPU time, and each daily function's thread CPU time (CPU time:
a loaded machine inflates wall time, much less CPU time), best of the repetitions.
"""

from __future__ import annotations

import collections
import functools
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import sim.agency as agency_mod
import sim.citizens as citizens_mod
import sim.kernels as kernels
import sim.leader as leader_mod
import sim.model as model_mod
import sim.needs as needs_mod
import sim.outcomes as outcomes_mod
import sim.policies as policies_mod
import sim.service as service_mod
from sim.api import load_config

TIMED = [
    (agency_mod.Agencies, "adopt"),
    (agency_mod.Agencies, "plan"),
    (agency_mod.Agencies, "settle"),
    (leader_mod.Leaders, "act"),
    (model_mod.GovSimModel, "_agency_day"),
    (model_mod.GovSimModel, "_exposure"),
    (model_mod.GovSimModel, "_needs_arise"),
    (citizens_mod.Citizens, "participate"),
    (citizens_mod.Citizens, "hear"),
    (citizens_mod.Citizens, "churn"),
    (citizens_mod.Citizens, "learn_from_attempts"),
    (citizens_mod.Citizens, "experience"),
    (outcomes_mod.Recorder, "push"),
    (outcomes_mod.Recorder, "record"),
    (needs_mod.NeedLedger, "check_conservation"),
    (policies_mod.Programmes, "act"),
]


def _wrap(owner: Any, name: str, label: str, acc: dict[str, float]) -> None:
    f: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(f)
    def timed(*args: Any, **kwargs: Any) -> Any:
        t = time.thread_time()
        out = f(*args, **kwargs)
        acc[label] += time.thread_time() - t
        return out

    setattr(owner, name, timed)


def main(overrides: list[str]) -> None:
    acc: dict[str, float] = collections.defaultdict(float)
    for owner, name in TIMED:
        _wrap(owner, name, f"{owner.__name__}.{name}", acc)
    _wrap(model_mod, "route", "route", acc)
    _wrap(model_mod, "serve", "serve", acc)
    _wrap(service_mod, "choose_channel", "  choose_channel (in route)", acc)
    _wrap(outcomes_mod, "gini_of_shares", "  gini_of_shares (in record)", acc)
    reps = int(os.environ.get("REPS", "2"))
    kernels.ENABLED = True
    t = time.perf_counter()
    model_mod.GovSimModel(load_config([*overrides, "days=3"])).run()
    print(f"warm-up with kernels (load or compile): {time.perf_counter() - t:.2f} s wall")
    rows: dict[str, list[dict[str, float]]] = {"numpy": [], "numba": []}
    for rep in range(reps):
        for key, enabled in (("numpy", False), ("numba", True)):
            kernels.ENABLED = enabled
            acc.clear()
            m = model_mod.GovSimModel(load_config(overrides))
            c0, t0 = time.process_time(), time.perf_counter()
            m.run()
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            days = m.cfg.days
            row = {k: v / days * 1e3 for k, v in acc.items()}
            row["TOTAL (wall)"] = wall / days * 1e3
            row["TOTAL (process CPU)"] = cpu / days * 1e3
            rows[key].append(row)
            print(
                f"{rep} {key}: {row['TOTAL (wall)']:.3f} ms/day wall, {row['TOTAL (process CPU)']:.3f} CPU", flush=True
            )
    best = {k: {f: min(r[f] for r in v) for f in v[0]} for k, v in rows.items()}
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'ms/day, best of ' + str(reps):40s} {'numpy':>8s} {'numba':>8s} {'ratio':>6s}")
    for f in sorted(best["numpy"], key=lambda f: -best["numpy"][f]):
        a, b = best["numpy"][f], best["numba"].get(f, float("nan"))
        print(f"{f:40s} {a:8.3f} {b:8.3f} {b / a:6.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
