"""Speed benchmark: the workloads users run, each against floors measured in the same run.

    python -m benchmarks                          # 10k x 1,095 days, 100k x 365, 1M x 365, commands
    python -m benchmarks --sizes 2000:40,4000:40 --no-commands --out /tmp/bench
    python -m benchmarks --sizes 1000000:30 --profile

For every N (`N:DAYS`, DAYS defaulting to --days) it runs, each in a fresh child process so
that memory peaks do not mix:

- the model: status-quo regime (`policy=quota`), `--days` days, agencies and leaders
  scaled with N (see `population_overrides`); set-up time (building GovSimModel),
  run time (wall and CPU), citizen-days per second, peak RSS above the
  interpreter's baseline per citizen, and a digest of the daily outcomes (equal
  digests = bitwise identical results, the check that an optimisation changed nothing), and
  the cost of each day (the flatness ratio: mean of the last 100 days over days 2-101);
  each run `--repeat` times (default 3) on a fresh model of the same config and seed, keeping the
  fastest run and each day's cheapest cost (the noise of a shared machine only ever adds time);
- the hardware floor, in the same child after the run: one memory pass per day
  over all citizen state (`np.copyto` of every ndarray of `Citizens` and its
  `Ties` into preallocated buffers), timed over `--copy-days` days;
- Mesa's floor, in a child of its own: N plain `mesa.Agent`s whose step does
  nothing, advanced by `agents.shuffle_do("step")` once per day (best of `--repeat`), timed over the
  model's own days up to 10,000 citizens (the issue's floor: the same horizon), over
  `--mesa-days` days above (every day costs the same; a year of a million no-op
  agents would take minutes).

Then the commands users wait for (unless --no-commands), each in a fresh process:
start-up of `python -m sim --help`, `python -m experiments list` and `plan` (best of
three), and the main job, `python -m experiments run policy_comparison` with an empty
cache into a temporary folder, start-up, runs, aggregation, figures and publishing
included (wall time and the load average next to it).

Results go to `--out` (default results/benchmark/): benchmark.csv, commands.csv,
benchmark.png (log-log time per day against N) and README.md (the machine, the
tables, the targets). Children run single-threaded (OMP/OpenBLAS/MKL threads = 1).
Timings are wall-clock on a shared machine: read the CPU column and the load
average next to them.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gc
import hashlib
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "results" / "benchmark"
DEFAULT_SIZES = "10000:1095,100000:365,1000000:365"  # the default city's full horizon, and a year at scale
MESA_SAME_DAYS_UP_TO = 10_000  # the Mesa floor runs the model's own horizon up to this size
FLAT_WINDOW = 100  # days compared at the start (2-101) and the end of a run
REPEAT = 3  # runs of each size (and of its Mesa floor): the best time, and each day's cheapest
MAIN_JOB = ["-m", "experiments", "run", "policy_comparison"]
MAIN_JOB_LIMIT_S = 60.0  # the speed issue's targets, seconds of wall time
STARTUP_LIMIT_S = 1.0
STARTUP = (["-m", "sim", "--help"], ["-m", "experiments", "list"], ["-m", "experiments", "plan", "policy_comparison"])
POLICY = "quota"  # the status quo of the article

CHILD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "NUMEXPR_NUM_THREADS": "1"}

COLUMNS = (
    "n_citizens",
    "n_districts",
    "n_agencies",
    "n_leaders",
    "days",
    "repeat",
    "config_s",
    "setup_s",
    "run_s",
    "run_cpu_s",
    "ms_per_day",
    "citizen_days_per_s",
    "citizen_days_per_cpu_s",
    "ns_per_citizen_day",
    "baseline_mb",
    "peak_mb",
    "bytes_per_citizen",
    "copy_mb",
    "copy_days",
    "copy_ms_per_day",
    "x_memory_floor",
    "mesa_setup_s",
    "mesa_days",
    "mesa_ms_per_day",
    "mesa_bytes_per_agent",
    "x_faster_than_mesa",
    "flat_ratio",
    "first_days_ms",
    "last_days_ms",
    "scaling_vs_previous",
    "result_digest",
    "load_before",
    "load_after",
    "machine",
    "cpu",
    "python",
    "numpy",
    "mesa",
    "commit",
)


# --- the population rule -----------------------------------------------------
def population_overrides(n: int) -> list[str]:
    """Hydra overrides for N citizens: districts and leaders follow the model's population rule."""
    return [f"population.n_citizens={n}"]


# --- measurements shared by the children ------------------------------------
def peak_rss_bytes() -> int:
    """Peak resident set size of this process so far (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024


def citizen_arrays(citizens: Any) -> dict[str, Any]:
    """Every numpy array that holds citizen state, found generically.

    The ndarray attributes of Citizens, and those of the objects it holds that
    belong to the model or to scipy.sparse (Ties, a CSR matrix...), a few levels
    deep; each array once.
    """
    import numpy as np

    found: dict[str, Any] = {}
    seen: set[int] = set()

    def visit(obj: Any, prefix: str, depth: int) -> None:
        for name, value in sorted(vars(obj).items()):
            if id(value) in seen:
                continue
            seen.add(id(value))
            if isinstance(value, np.ndarray):
                found[prefix + name] = value
            elif depth > 0 and hasattr(value, "__dict__") and _is_state(value):
                visit(value, f"{prefix}{name}.", depth - 1)

    visit(citizens, "", 3)
    return found


def _is_state(obj: Any) -> bool:
    module = type(obj).__module__
    return module.startswith(("sim.", "scipy.sparse"))


def memory_pass(arrays: dict[str, Any], days: int) -> float:
    """Seconds per day for one copy of all citizen arrays into preallocated buffers."""
    import numpy as np

    src = list(arrays.values())
    dst = [np.empty_like(a) for a in src]
    for s, d in zip(src, dst, strict=True):  # touch the pages once, outside the clock
        np.copyto(d, s)
    t0 = time.perf_counter()
    for _ in range(days):
        for s, d in zip(src, dst, strict=True):
            np.copyto(d, s)
    return (time.perf_counter() - t0) / max(days, 1)


def outcome_digest(model: Any) -> str:
    """SHA-256 of the daily outcome table: equal digests mean bitwise identical results."""
    import numpy as np

    ts = model.recorder.timeseries()
    h = hashlib.sha256(",".join(ts.columns).encode())
    h.update(np.ascontiguousarray(ts.to_numpy(dtype=np.float64)).tobytes())
    return h.hexdigest()[:16]


def _child_model(n: int, days: int, seed: int, copy_days: int, repeat: int, profile: str | None) -> dict[str, Any]:
    import mesa  # noqa: F401  (part of the baseline)
    import numpy as np

    from sim.api import load_config
    from sim.model import GovSimModel

    # warm-up: a 1,000-citizen town for 200 days (past the first audits, with online attempts ending)
    # pays lazy imports and the first call of every kernel signature outside the clock (numba loads
    # each from its cache then, or compiles it after a code change: ~0.1 s a signature)
    warm = GovSimModel(load_config([f"policy={POLICY}", "days=200", *population_overrides(1000)]))
    warm.run()
    warm.recorder.columns()  # the kernel of the outcome table too
    t0 = time.perf_counter()
    cfg = load_config([f"policy={POLICY}", f"days={days}", f"seed={seed}", *population_overrides(n)])
    config_s = time.perf_counter() - t0
    baseline = peak_rss_bytes()

    # the same run `repeat` times, a fresh model each time (the same seed: the same work): each time is
    # the best over the repeats, each day's cost its cheapest, so another process taking the core for a
    # moment (this is a shared VM) does not pass for the model's cost; the memory is the first run's
    setups, runs, cpus, days_s, digests = [], [], [], [], set()
    peak = 0
    profile_path = Path(profile) if profile else None
    for i in range(repeat):
        t0 = time.perf_counter()
        model = GovSimModel(cfg)
        setups.append(time.perf_counter() - t0)
        profiler = None
        if profile_path is not None and i == 0:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        # the end of every day: the recorder's call closes the step (audit events included)
        stamps: list[float] = []
        record = model.recorder.record

        def timed_record(day: int, record: Any = record, stamps: list[float] = stamps) -> None:
            record(day)
            stamps.append(time.perf_counter())

        model.recorder.record = timed_record  # type: ignore[method-assign]
        t0, c0 = time.perf_counter(), time.process_time()
        model.run()
        model.recorder.columns()  # the daily outcomes are computed when read: part of the run's cost
        runs.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        days_s.append(np.diff([t0, *stamps]))
        if profiler is not None and profile_path is not None:
            profiler.disable()
            _write_profile(profiler, profile_path, n, days, runs[-1])
        digests.add(outcome_digest(model))
        if i == 0:
            peak = peak_rss_bytes()
        if i < repeat - 1:
            del model
            gc.collect()  # the agents and the model refer to each other
    if len(digests) != 1:
        raise RuntimeError(f"the {repeat} runs of one config and seed gave different outcomes: {sorted(digests)}")
    day_s = np.min(days_s, axis=0)
    first, last = day_s[1 : 1 + FLAT_WINDOW], day_s[-FLAT_WINDOW:]
    flat = len(day_s) >= 2 * FLAT_WINDOW + 1
    best = int(np.argmin(runs))

    arrays = citizen_arrays(model.citizens)
    copy_bytes = sum(a.nbytes for a in arrays.values())
    copy_s = memory_pass(arrays, copy_days)
    return {
        "n_citizens": n,
        "n_districts": model.geo.n_districts,
        "n_agencies": len(model.agency_list),
        "n_leaders": len(model.leader_list),
        "days": days,
        "config_s": config_s,
        "repeat": repeat,
        "setup_s": min(setups),
        "run_s": runs[best],
        "run_cpu_s": cpus[best],
        "run_s_all": runs,
        "baseline_mb": baseline / 2**20,
        "peak_mb": peak / 2**20,
        "bytes_per_citizen": (peak - baseline) / n,
        "copy_mb": copy_bytes / 2**20,
        "copy_arrays": list(arrays),
        "copy_days": copy_days,
        "copy_ms_per_day": copy_s * 1e3,
        "result_digest": digests.pop(),
        "first_days_ms": float(first.mean()) * 1e3 if flat else float("nan"),
        "last_days_ms": float(last.mean()) * 1e3 if flat else float("nan"),
        "flat_ratio": float(last.mean() / first.mean()) if flat else float("nan"),
    }


def _write_profile(profiler: Any, path: Path, n: int, days: int, run_s: float) -> None:
    import io
    import pstats

    buf = io.StringIO()
    buf.write(f"cProfile of GovSimModel.run(): {n:,} citizens, {days} days, {run_s:.2f} s under the profiler\n")
    buf.write(f"policy={POLICY}, commit {_commit()}, load average {_load()}\n")
    buf.write(f"(per day: divide the times by {days})\n\n")
    for key in ("tottime", "cumulative"):
        stats = pstats.Stats(profiler, stream=buf)
        stats.sort_stats(key).print_stats(30)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buf.getvalue())


def _child_mesa(n: int, days: int, seed: int, repeat: int) -> dict[str, Any]:
    import mesa
    import numpy as np

    class NoOp(mesa.Agent):
        def step(self) -> None:
            pass

    class Floor(mesa.Model):
        def __init__(self, n: int) -> None:
            super().__init__(rng=np.random.default_rng(seed))
            NoOp.create_agents(self, n)

        def step(self) -> None:
            self.agents.shuffle_do("step")

    Floor(100).step()  # warm-up
    baseline = peak_rss_bytes()
    t0 = time.perf_counter()
    model = Floor(n)
    setup_s = time.perf_counter() - t0
    per_day = math.inf
    for _ in range(repeat):  # the best of `repeat` passes over the same agents, as for the model
        t0 = time.perf_counter()
        for _ in range(days):
            model.step()
        per_day = min(per_day, (time.perf_counter() - t0) / days)
    return {
        "mesa_setup_s": setup_s,
        "mesa_days": days,
        "mesa_ms_per_day": per_day * 1e3,
        "mesa_bytes_per_agent": (peak_rss_bytes() - baseline) / n,
    }


# --- the parent: machine, children, table, files -------------------------------
def machine_info() -> dict[str, str]:
    import mesa
    import numpy as np

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = os.cpu_count() or 0
    mem = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        mem = f", {kib / 2**20:.0f} GiB RAM"
    except (OSError, IndexError, ValueError):
        pass
    return {
        "machine": f"{platform.platform()}, {cores} cores{mem}",
        "cpu": cpu,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "mesa": mesa.__version__,
        "commit": _commit(),
    }


def _commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "sim"], cwd=REPO, capture_output=True, text=True)
    except OSError:
        return "unknown"
    commit = head.stdout.strip() or "unknown"
    return commit + ("+dirty-sim" if dirty.stdout.strip() else "")


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return ""


def _run_child(args: list[str]) -> dict[str, Any]:
    env = {**os.environ, **CHILD_ENV}
    cmd = [sys.executable, "-m", "benchmarks", "--child", *args]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child {' '.join(args)} failed:\n{proc.stderr.strip()}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(
    n: int, days: int, seed: int, mesa_days: int, copy_days: int, repeat: int, info: dict[str, str]
) -> dict[str, Any]:
    load_before = _load()
    row = _run_child(["model", str(n), str(days), str(seed), str(copy_days or days), str(repeat)])
    floor_days = days if n <= MESA_SAME_DAYS_UP_TO else mesa_days
    row.update(_run_child(["mesa", str(n), str(floor_days), str(seed), str(repeat)]))
    row["load_before"], row["load_after"] = load_before, _load()
    ms_per_day = row["run_s"] / days * 1e3
    row["ms_per_day"] = ms_per_day
    row["citizen_days_per_s"] = n * days / row["run_s"]
    row["citizen_days_per_cpu_s"] = n * days / row["run_cpu_s"]
    row["ns_per_citizen_day"] = row["run_s"] / (n * days) * 1e9
    row["x_memory_floor"] = ms_per_day / row["copy_ms_per_day"]
    row["x_faster_than_mesa"] = row["mesa_ms_per_day"] / ms_per_day
    row.update(info)
    return row


def time_command(args: list[str], repeat: int, cwd: Path) -> dict[str, Any]:
    """Best wall time of `python <args>` over `repeat` fresh processes, with the load before."""
    load = _load()
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True)
        best = min(best, time.perf_counter() - t0)
        if proc.returncode != 0:
            raise SystemExit(f"benchmark: `python {' '.join(args)}` failed: {proc.stderr.strip().splitlines()[-1:]}")
    return {"command": "python " + " ".join(args), "wall_s": best, "runs": repeat, "load_before": load}


def measure_commands() -> list[dict[str, Any]]:
    """Start-up of the CLIs (best of 3), then the main job with an empty cache into a scratch folder."""
    import tempfile

    rows = [{**time_command(args, 3, REPO), "limit_s": STARTUP_LIMIT_S} for args in STARTUP]
    with tempfile.TemporaryDirectory(prefix="govsim-bench-") as tmp:
        job = [*MAIN_JOB, "--cache", f"{tmp}/cache", "--results", f"{tmp}/results"]
        row = time_command(job, 1, REPO)
        row["command"] = "python " + " ".join(MAIN_JOB) + " (empty cache)"
        row["limit_s"] = MAIN_JOB_LIMIT_S
        row["load_after"] = _load()
        rows.append(row)
    return rows


def add_scaling(rows: list[dict[str, Any]]) -> None:
    """Time per citizen-day relative to the next smaller size (1.0 = perfectly linear)."""
    prev = None
    for row in rows:
        row["scaling_vs_previous"] = row["ns_per_citizen_day"] / prev["ns_per_citizen_day"] if prev else float("nan")
        prev = row


def targets(rows: list[dict[str, Any]], commands: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(target, measured, verdict) for each target of the speed issue that this run measured."""
    by_n = {r["n_citizens"]: r for r in rows}
    out: list[tuple[str, str, bool]] = []
    city = by_n.get(10_000)
    if city is not None:
        out.append(
            (
                f">= 10x faster than the Mesa no-op loop, 10,000 citizens x {city['days']:,} days",
                f"{city['x_faster_than_mesa']:.1f}x ({city['ms_per_day']:.2f} against {city['mesa_ms_per_day']:.2f} "
                "ms/day)",
                city["x_faster_than_mesa"] >= 10,
            )
        )
    for n in (10_000, 1_000_000):
        r = by_n.get(n)
        if r is not None and math.isfinite(r["flat_ratio"]):
            out.append(
                (
                    f"flat cost per day at {n:,} citizens: last 100 days <= 1.2 x days 2-101",
                    f"{r['flat_ratio']:.2f} ({r['last_days_ms']:.2f} / {r['first_days_ms']:.2f} ms)",
                    r["flat_ratio"] <= 1.2,
                )
            )
    big = by_n.get(1_000_000)
    if big is not None:
        out.append(
            (
                f">= 40 M citizen-days/s, 1,000,000 citizens x {big['days']} days, one core",
                f"{big['citizen_days_per_s'] / 1e6:.1f} M (per CPU second {big['citizen_days_per_cpu_s'] / 1e6:.1f} M)",
                big["citizen_days_per_s"] >= 40e6,
            )
        )
        out.append(
            (
                "<= 200 bytes per citizen at 1,000,000",
                f"{big['bytes_per_citizen']:.0f} B",
                big["bytes_per_citizen"] <= 200,
            )
        )
    for c in commands:
        limit = c["limit_s"]
        out.append(
            (f"`{c['command']}` <= {limit:g} s", f"{c['wall_s']:.2f} s (load {c['load_before']})", c["wall_s"] <= limit)
        )
    return [(t, m, "pass" if ok else "FAIL") for t, m, ok in out]


def _fmt(x: Any, digits: int = 2) -> str:
    if isinstance(x, float):
        return "-" if math.isnan(x) else f"{x:,.{digits}f}"
    if isinstance(x, int):
        return f"{x:,}"
    return str(x)


TABLE = (
    ("citizens", "n_citizens", 0),
    ("days", "days", 0),
    ("agencies", "n_agencies", 0),
    ("set-up s", "setup_s", 2),
    ("run s", "run_s", 2),
    ("CPU s", "run_cpu_s", 2),
    ("ms/day", "ms_per_day", 1),
    ("Mcitizen-days/s", "_mcd", 2),
    ("per CPU s", "_mcd_cpu", 2),
    ("B/citizen", "bytes_per_citizen", 0),
    ("copy ms/day", "copy_ms_per_day", 2),
    ("x copy floor", "x_memory_floor", 1),
    ("Mesa ms/day", "mesa_ms_per_day", 1),
    ("x faster than Mesa", "x_faster_than_mesa", 1),
    ("flat ratio", "flat_ratio", 2),
    ("scaling vs prev", "scaling_vs_previous", 2),
)


def table_rows(rows: list[dict[str, Any]]) -> list[list[str]]:
    out = []
    for r in rows:
        r = {**r, "_mcd": r["citizen_days_per_s"] / 1e6, "_mcd_cpu": r["citizen_days_per_cpu_s"] / 1e6}
        out.append([_fmt(r[key], digits) for _, key, digits in TABLE])
    return out


def markdown_table(header: list[str], body: list[list[str]], align: str = "---:") -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return "\n".join(lines)


def write_csv(rows: list[dict[str, Any]], path: Path, columns: tuple[str, ...] = COLUMNS) -> None:
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})


def write_plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = [r["n_citizens"] for r in rows]
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    ax.loglog(n, [r["ms_per_day"] for r in rows], "o-", label="govsim, full model day")
    ax.loglog(n, [r["mesa_ms_per_day"] for r in rows], "s--", label='Mesa floor: no-op agents, shuffle_do("step")')
    ax.loglog(n, [r["copy_ms_per_day"] for r in rows], "^:", label="hardware floor: one copy of citizen state")
    ref = rows[0]["ms_per_day"]
    ax.loglog(n, [ref * x / n[0] for x in n], color="grey", lw=0.8, label="linear in N")
    ax.set_xlabel("citizens N")
    ax.set_ylabel("milliseconds per simulated day")
    ax.set_title("Time per day against population (one core)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_readme(
    rows: list[dict[str, Any]], commands: list[dict[str, Any]], info: dict[str, str], argv: list[str], path: Path
) -> None:
    header = [h for h, _, _ in TABLE]
    first, last = rows[0], rows[-1]
    rule = "; ".join(
        f"{r['n_citizens']:,}: {r['n_districts']} districts, {r['n_agencies']} agencies, {r['n_leaders']} leaders"
        for r in rows
    )
    command_rows = [[f"`{c['command']}`", f"{c['wall_s']:.2f}", str(c["runs"]), c["load_before"]] for c in commands]
    command_text = (
        markdown_table(["command", "wall s", "best of", "load average before (1, 5, 15 min)"], command_rows, "---")
        if commands
        else "(not measured: --no-commands)"
    )
    text = f"""# Speed benchmark

Generated by `{" ".join(["python -m benchmarks", *argv])}` on {dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")}.
Regime `policy={POLICY}` (status quo), seed {rows[0].get("seed", 0) if rows else 0}.

## Machine
- {info["machine"]}
- CPU: {info["cpu"]}; every model measurement on one core (single-threaded numpy, OMP/BLAS threads = 1)
- Python {info["python"]}, numpy {info["numpy"]}, Mesa {info["mesa"]}, govsim commit {info["commit"]}
- load average (1, 5, 15 min) before the first size: {first["load_before"]}; after the last: {last["load_after"]}.
  Where CPU s is well below run s, other processes took the core.

## Model runs
{markdown_table(header, table_rows(rows))}

- set-up: building `GovSimModel` (citizens, ties, follows, agencies, leaders); config composition excluded.
- run: `model.run()` for the row's days, everything included (agencies, leaders, citizens, service, audits,
  outcome recording, and the daily outcome table computed from what was recorded); run s is wall time,
  CPU s the process's CPU time; "per CPU s" = citizen-days per CPU second.
- best of {rows[0].get("repeat", 1)}: each size runs {rows[0].get("repeat", 1)} times in its process, a fresh model of the same config and seed
  each time (the same work: the digests must agree, or the benchmark stops); the times are the fastest run's,
  each day's cost the cheapest of that day over the runs, and the Mesa floor the best of as many passes.
  So a moment when another process had the core is not counted as the model's cost.
- flat ratio: mean cost of the last {FLAT_WINDOW} days over the mean of days 2-{FLAT_WINDOW + 1} (1.00 = flat), from
  each day's cheapest run.
- B/citizen: peak RSS of a fresh process after its first run, minus its RSS after imports and config, over N.
- copy floor: one `np.copyto` pass per day over every ndarray of `Citizens` and `Ties`
  (preallocated buffers); "x copy floor" = model day / copy.
- Mesa floor: N `mesa.Agent`s with `def step(self): pass`, `agents.shuffle_do("step")` once per day, over the
  model's own days up to {MESA_SAME_DAYS_UP_TO:,} citizens, over {last["mesa_days"]} days above (every day costs the
  same); "x faster than Mesa" = Mesa day / model day.
- scaling vs prev: time per citizen-day relative to the next smaller N (1.00 = linear).
- Population rule (the model's, ODD section 2): districts = round(N / 770), leaders = round(N / 333),
  agencies = 8 x (districts + 2). Here: {rule}.
- `result_digest` in benchmark.csv is a hash of the daily outcome table: an optimisation that keeps
  results bitwise identical keeps the digest.

## Commands users wait for
{command_text}

The main job runs on both cores (the default local launcher), from an empty run cache into a scratch
results folder: start-up, every run, aggregation, figures and publishing included.

## Targets
{markdown_table(["target", "measured", "verdict"], [list(t) for t in targets(rows, commands)], "---")}

![time per day against N](benchmark.png)

## Reproduce
    python -m benchmarks                                   # writes results/benchmark/
    python -m benchmarks --sizes 1000000:30 --profile      # cProfile at 1M into results/benchmark/
"""
    path.write_text(text)


def print_report(rows: list[dict[str, Any]], commands: list[dict[str, Any]], info: dict[str, str]) -> None:
    header = [h for h, _, _ in TABLE]
    body = table_rows(rows)
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(header)]
    print(
        f"machine: {info['machine']}; CPU {info['cpu']}; Python {info['python']}, numpy {info['numpy']}, "
        f"Mesa {info['mesa']}; commit {info['commit']}"
    )
    print("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    for b in body:
        print("  ".join(c.rjust(w) for c, w in zip(b, widths, strict=True)))
    for c in commands:
        print(f"  {c['command']}: {c['wall_s']:.2f} s")
    for t, m, v in targets(rows, commands):
        print(f"  [{v}] {t}: {m}")


def parse_sizes(text: str, days: int) -> list[tuple[int, int]]:
    """`N` or `N:DAYS` items, comma-separated (DAYS defaults to --days), sorted by N."""
    out = {}
    for item in (s.strip() for s in text.split(",") if s.strip()):
        n_text, _, days_text = item.partition(":")
        try:
            n, d = int(float(n_text)), int(days_text) if days_text else days
        except ValueError:
            raise SystemExit(f"benchmark: invalid --sizes item {item!r}; allowed: N or N:DAYS, whole numbers") from None
        if n < 100 or d < 1:
            raise SystemExit(f"benchmark: invalid --sizes item {item!r}; allowed: N >= 100 citizens, DAYS >= 1")
        out[n] = d
    if not out:
        raise SystemExit(f"benchmark: invalid --sizes {text!r}; allowed: N or N:DAYS items, comma-separated")
    return sorted(out.items())


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--child"]:
        return _child(argv[1:])
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default=DEFAULT_SIZES, help=f"N or N:DAYS, comma-separated (default {DEFAULT_SIZES})")
    p.add_argument("--days", type=int, default=365, help="days of a size given without :DAYS (default 365)")
    p.add_argument("--mesa-days", type=int, default=5, help="days of the Mesa floor above 10,000 agents (default 5)")
    p.add_argument("--copy-days", type=int, default=0, help="days timed for the memory pass (default: the run's)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--repeat", type=int, default=REPEAT, help=f"runs of each size and floor, the best kept (default {REPEAT})"
    )
    p.add_argument("--no-commands", action="store_true", help="skip the start-up and main-job timings")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default results/benchmark)")
    p.add_argument("--profile", action="store_true", help="cProfile the model runs into OUT/profile_N.txt only")
    args = p.parse_args(argv)
    if args.days < 1 or args.mesa_days < 1 or args.copy_days < 0 or args.repeat < 1:
        p.error("--days, --mesa-days and --repeat must be >= 1, --copy-days >= 0")
    sizes = parse_sizes(args.sizes, args.days)
    args.out.mkdir(parents=True, exist_ok=True)

    if args.profile:
        for n, days in sizes:
            target = args.out / f"profile_{n}.txt"
            row = _run_child(["model", str(n), str(days), str(args.seed), "1", "1", str(target)])
            print(f"{n:,} citizens: {row['run_s'] / days * 1e3:.1f} ms/day under cProfile -> {target}")
        return 0

    info = machine_info()
    rows = []
    for n, days in sizes:
        print(f"measuring {n:,} citizens x {days} days ...", flush=True)
        rows.append(
            {**measure(n, days, args.seed, args.mesa_days, args.copy_days, args.repeat, info), "seed": args.seed}
        )
    commands = []
    if not args.no_commands:
        print("timing the start-up of the CLIs and the main job (empty cache) ...", flush=True)
        commands = measure_commands()
    end = _commit()
    if end != info["commit"]:  # the code changed under the benchmark: say so
        info["commit"] = f"{info['commit']} -> {end}"
        for row in rows:
            row["commit"] = info["commit"]
    add_scaling(rows)
    write_csv(rows, args.out / "benchmark.csv")
    if commands:
        write_csv(commands, args.out / "commands.csv", ("command", "wall_s", "runs", "load_before", "load_after"))
    write_plot(rows, args.out / "benchmark.png")
    write_readme(rows, commands, info, argv, args.out / "README.md")
    print_report(rows, commands, info)
    print(f"wrote {args.out}/: benchmark.csv, commands.csv, benchmark.png, README.md")
    return 0


def _child(argv: list[str]) -> int:
    kind, *rest = argv
    if kind == "model":
        n, days, seed, copy_days, repeat = (int(x) for x in rest[:5])
        result = _child_model(n, days, seed, copy_days, repeat, rest[5] if len(rest) > 5 else None)
    elif kind == "mesa":
        n, days, seed, repeat = (int(x) for x in rest[:4])
        result = _child_mesa(n, days, seed, repeat)
    else:
        raise SystemExit(f"unknown child kind {kind!r}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
