"""Run the pending runs as one Hydra multirun (in a child process), in chunks, and show progress.

The pending runs are split into chunks (several runs per Hydra job, so a job's start-up and
config composition are paid once per chunk, not once per run: `chunk_sizes`), one chunk file
each, which `experiments.task` runs. Each run still has its own result in the cache, so
chunking changes no number and no file. The parent polls the cache for finished and failed
runs and prints `done/total, elapsed, ETA`; it never relies on Hydra callbacks, which do not
run when a job fails.

Every launch leaves a submission record, `<cache>/<name>/<code>/submissions/<stamp>.json`
(host, pid of the multirun, launcher, SLURM job name, run ids). While a submission
is active (its SLURM jobs are in `squeue`, or its multirun process is alive on this
host) its unfinished runs are *in flight*: `status` shows them, and a re-run does not
submit them again. `--detach` returns once the jobs are submitted; `collect`
publishes when they are all done. Ctrl-C on an attached SLURM run asks whether to
cancel the submitted jobs (scancel through submitit); a hang-up (SIGHUP, a dropped
SSH session) sends the console output to a log file and the run carries on.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import importlib.util
import itertools
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from experiments.cache import RunStore
from experiments.fsio import pid_alive, write_json
from experiments.plan import Plan, Run
from experiments.task import CONFIG_NAME, chunk_file

LAUNCH_CODE = "from experiments.task import main; main()"
REPO = Path(__file__).resolve().parent.parent
CHUNK_CAP = 8  # runs per job at most: keeps the progress line moving and the last jobs short


@dataclass
class LaunchResult:
    returncode: int
    log: Path
    sweep_dir: Path
    command: list[str]
    interrupted: bool = False
    jobs: list[str] = field(default_factory=list)  # SLURM job ids (array jobs) of this submission
    cancelled: bool = False


class Interrupted(Exception):
    """SIGTERM or SIGINT while jobs were running."""


def _raise_interrupt(signum: int, frame: object) -> None:
    raise Interrupted(signal.Signals(signum).name)


def workers(launcher_cfg: dict[str, Any]) -> int:
    """How many jobs the launcher runs at once (joblib's n_jobs, SLURM's array_parallelism; basic: 1)."""
    target = str(launcher_cfg.get("_target_", ""))
    cores = os.cpu_count() or 1
    if "BasicLauncher" in target:
        return 1
    n = launcher_cfg.get("n_jobs") if "Joblib" in target else launcher_cfg.get("array_parallelism")
    if not isinstance(n, int) or n == 0:
        return cores
    return n if n > 0 else max(1, cores + 1 + n)  # joblib: -1 is every core, -2 all but one


def chunk_sizes(pending: int, launcher_cfg: dict[str, Any], chunk: int = 0) -> list[int]:
    """Runs per job, job by job: `chunk` each when given; else guided, each job taking
    ceil(remaining / (2 x workers)) runs, at most CHUNK_CAP: the jobs shrink toward the end, so the
    workers finish within about one run of each other instead of one running a whole chunk alone."""
    if chunk > 0:
        return [chunk] * (pending // chunk) + ([pending % chunk] if pending % chunk else [])
    twice = 2 * workers(launcher_cfg)
    sizes: list[int] = []
    left = pending
    while left > 0:
        sizes.append(max(1, min(CHUNK_CAP, math.ceil(left / twice))))
        left -= sizes[-1]
    return sizes


def write_chunks(runs: list[Run], sweep_dir: Path, sizes: list[int], record_every: int) -> int:
    """The chunk files of `runs` (their ids, resolved configs, seed included, and the experiment's
    recording cadence), `sizes` runs each; returns how many.

    Runs are dealt replicate by replicate across the conditions, so every chunk holds a mix of
    conditions: a chunk of the costliest condition alone would run last while the other workers idle.
    """
    if sum(sizes) != len(runs) or min(sizes, default=1) < 1:
        raise ValueError(f"chunk sizes {sizes} do not split {len(runs)} runs")
    runs = sorted(runs, key=lambda r: (r.replicate, r.condition.index))
    ends = list(itertools.accumulate(sizes))
    chunks = [runs[end - size : end] for size, end in zip(sizes, ends, strict=True)]
    for k, part in enumerate(chunks):
        entries = [
            {
                "run_id": r.run_id,
                "config": dataclasses.asdict(dataclasses.replace(r.condition.config, seed=r.seed)),
                "record_every": record_every,
            }
            for r in part
        ]
        write_json(chunk_file(sweep_dir, k), {"runs": entries})
    return len(chunks)


def preflight(launcher: str, extra: list[str]) -> dict[str, Any]:
    """Compose Hydra's own config with the launcher and hydra.* overrides; the launcher's config.

    Raises ExperimentError (one line, saying what failed) before anything runs: a
    launcher whose plugin is not installed (ray_cluster without hydra-ray-launcher),
    or an override the launcher's config refuses (a misspelt or mistyped option).
    """
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf

    from experiments.spec import ExperimentError
    from sim.api import CONFIG_DIR

    items = [f"hydra/launcher={launcher}", *extra]
    if launcher.startswith("ray") and importlib.util.find_spec("hydra_plugins.hydra_ray_launcher") is None:
        raise ExperimentError(
            f"invalid launcher {launcher}: the hydra-ray-launcher plugin is not installed; "
            "allowed: `pip install hydra-ray-launcher` first, or another launcher"
        )
    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            cfg = compose(CONFIG_NAME, overrides=items, return_hydra_config=True)
            container = OmegaConf.to_container(cfg.hydra.launcher, resolve=False)
    except Exception as err:  # Hydra raises several unrelated types here
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ExperimentError(f"invalid launcher settings {' '.join(items)}: {first}") from None
    assert isinstance(container, dict)
    return container


def log_tail(log: Path, lines: int = 15) -> str:
    try:
        text = log.read_text(errors="replace").rstrip().splitlines()
    except OSError:
        return ""
    return "\n".join(text[-lines:])


class Progress:
    """`[name] done/total runs done, elapsed, ETA` at the pace of this session (cached runs do not count):
    tqdm redraws it in place on a terminal; otherwise a plain line at most every `every` seconds and at the end."""

    FORMAT = "{desc}{n_fmt}/{total_fmt} runs done{postfix}, elapsed {elapsed}, ETA {remaining}"

    def __init__(self, name: str, total: int, cached: int, out: Callable[[str], None], every: float = 10.0) -> None:
        self.name, self.total, self.cached, self.out, self.every = name, total, cached, out, every
        self.tty = bool(getattr(sys.stdout, "isatty", lambda: False)())
        self.bar: Any = None  # the terminal's tqdm bar, from the first update on
        self.start, self.last_n, self.last_t = time.monotonic(), -1, 0.0

    def update(self, finished: int, failed: int, final: bool = False) -> None:
        from tqdm import tqdm

        n, now = finished + failed, time.monotonic()
        notes = ", ".join([f"{self.cached} from cache"] * bool(self.cached) + [f"{failed} failed"] * bool(failed))
        if self.tty:
            # no monitor thread: the process forks later to draw the figures (figures.FigureDrawing)
            tqdm.monitor_interval = 0
            # fixed ncols/nrows: a pty that reports no size (`script`, some CI runners) still shows the line
            self.bar = self.bar or tqdm(
                total=self.total,
                initial=self.cached,
                desc=f"[{self.name}] ",
                ncols=120,
                nrows=100,
                bar_format=self.FORMAT,
                file=sys.stdout,
                postfix=notes or None,
            )
            self.bar.set_postfix_str(notes, refresh=False)
            self.bar.update(n - self.bar.n)
            if final:
                self.bar.close()
        elif n != self.last_n and (final or n == self.total or now - self.last_t >= self.every or self.last_n < 0):
            self.out(
                tqdm.format_meter(
                    n,
                    self.total,
                    now - self.start,
                    prefix=f"[{self.name}] ",
                    initial=self.cached,
                    bar_format=self.FORMAT,
                    postfix=notes,
                )
            )
            self.last_n, self.last_t = n, now


def _report(store: RunStore, wanted: set[str], progress: Progress, final: bool = False) -> None:
    names = {p.name for p in store.runs.glob("*.json")}
    finished = {rid for rid in wanted if f"{rid}.json" in names}
    failed = {rid for rid in wanted if f"{rid}.error.json" in names} - finished
    progress.update(len(finished), len(failed), final=final)


# --- submissions -----------------------------------------------------------------------------------


def slurm_jobs(name: str) -> list[tuple[str, str]]:
    """(job id, state) of the queued or running jobs (array tasks) with this SLURM job name; [] without squeue."""
    if shutil.which("squeue") is None:
        return []
    try:
        out = subprocess.run(
            ["squeue", "-h", "-r", f"--name={name}", "-o", "%i %T"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    rows = [line.split() for line in out.stdout.splitlines() if line.strip()]
    return [(r[0], r[1]) for r in rows if len(r) >= 2]


def job_ids(jobs: list[tuple[str, str]]) -> list[str]:
    """The array job ids of SLURM tasks `<id>_<task>`."""
    return sorted({j.split("_")[0] for j, _ in jobs})


@dataclass
class Submission:
    record: dict[str, Any]
    jobs: list[tuple[str, str]] = field(default_factory=list)  # SLURM (id, state) still in the queue
    active: bool = False
    unknown: bool = False  # a SLURM submission, but no squeue here to ask

    def describe(self) -> str:
        if self.jobs:
            states = Counter(state.lower() for _, state in self.jobs)
            parts = ", ".join(f"{n} {s}" for s, n in sorted(states.items()))
            return f"SLURM job {','.join(job_ids(self.jobs))} ({parts}; name {self.record['job_name']})"
        return f"{self.record['launcher']} multirun pid {self.record['pid']} on {self.record['host']}"


def submissions(store: RunStore) -> list[Submission]:
    out = []
    for path in sorted((store.root / "submissions").glob("*.json")):
        try:
            sub = Submission(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue
        if all(store.done(rid) for rid in sub.record.get("run_ids", [])):
            pass  # finished: nothing to ask the queue about
        elif "SlurmLauncher" in sub.record.get("target", ""):
            sub.jobs = slurm_jobs(sub.record["job_name"])
            sub.active = bool(sub.jobs)
            sub.unknown = shutil.which("squeue") is None
        elif sub.record.get("host") == socket.gethostname():
            sub.active = pid_alive(int(sub.record.get("pid", 0)))
        out.append(sub)
    return out


def in_flight(store: RunStore, wanted: set[str]) -> dict[str, Submission]:
    """Runs of `wanted` that an active submission will still finish: run id -> its submission."""
    out: dict[str, Submission] = {}
    for sub in submissions(store):
        if not sub.active:
            continue
        for rid in sub.record.get("run_ids", []):
            if rid in wanted and not store.done(rid) and store.error(rid) is None:
                out[rid] = sub
    return out


def wait_for(store: RunStore, wanted: set[str], waiting: set[str], progress: Progress, poll: float = 2.0) -> bool:
    """Wait until the `waiting` runs in flight elsewhere are finished (or no longer in flight), with the
    progress of the `wanted` runs; True when interrupted (Ctrl-C, SIGTERM)."""
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        while in_flight(store, waiting):
            _report(store, wanted, progress)
            time.sleep(poll)
    except (KeyboardInterrupt, Interrupted):
        return True
    finally:
        signal.signal(signal.SIGTERM, previous)
    _report(store, wanted, progress, final=True)
    return False


# --- the launch ----------------------------------------------------------------------------------


class Hangup:
    """On SIGHUP (the terminal went away), write the console output to a log file and carry on."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.previous: Any = None

    def __enter__(self) -> Hangup:
        self.previous = signal.signal(signal.SIGHUP, self._handle)
        return self

    def _handle(self, signum: int, frame: object) -> None:
        fd = os.open(self.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError):
                stream.flush()
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        os.write(1, b"[experiments] hang-up (SIGHUP): console output continues here; the run carries on\n")

    def __exit__(self, *exc: object) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGHUP, self.previous)


Ask = Callable[[str], bool]


def ask_stdin(question: str) -> bool:
    """Ask on the terminal (stderr), read the answer from stdin; no answer (EOF) means no."""
    try:
        print(question, end="", file=sys.stderr, flush=True)
        answer = sys.stdin.readline()
    except (OSError, ValueError, KeyboardInterrupt):
        return False
    return answer.strip().lower() in ("y", "yes")


def launch(
    plan: Plan,
    pending: list[Run],
    store: RunStore,
    launcher: str,
    extra: list[str],
    progress: Progress,
    poll: float = 0.5,
    target: str = "",
    detach: bool = False,
    ask: Ask = ask_stdin,
    out: Callable[[str], None] = print,
    waiting: set[str] | None = None,
    sizes: list[int] | None = None,
) -> LaunchResult:
    """Launch `pending` as one multirun of jobs of `sizes` runs (None: `chunk_sizes` from the launcher's
    class); attached, wait for it (and for the `waiting` runs in flight elsewhere)."""
    exp = plan.experiment.name
    stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}"
    name = f"govsim-{exp}-{stamp}"  # the SLURM job name: finds its jobs in squeue whatever happened to us
    sweep_dir = store.hydra / stamp
    sizes = sizes or chunk_sizes(len(pending), {"_target_": target})
    chunks = write_chunks(pending, sweep_dir, sizes, plan.experiment.record_every)
    quoted = "'" + str(sweep_dir).replace("\\", "\\\\").replace("'", "\\'") + "'"  # Hydra's override grammar
    command = [
        sys.executable,
        "-c",
        LAUNCH_CODE,
        "--multirun",
        "chunk=" + ",".join(str(k) for k in range(chunks)),
        f"hydra/launcher={launcher}",
        f"hydra.sweep.dir={quoted}",
        *([f"hydra.launcher.name={name}"] if "submitit" in target else []),
        *extra,
    ]
    log = store.hydra / f"{stamp}.log"
    wanted = {r.run_id for r in plan.runs}
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    slurm = "SlurmLauncher" in target
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    interrupted = cancelled = False
    jobs: list[str] = []
    with open(log, "wb") as fh, Hangup(store.root / f"console-{stamp}.log"):
        fh.write((" ".join(command) + "\n\n").encode())
        fh.flush()
        proc = subprocess.Popen(
            command,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=fh,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        record = {
            "stamp": stamp,
            "host": socket.gethostname(),
            "pid": proc.pid,
            "launcher": launcher,
            "target": target,
            "job_name": name,
            "sweep_dir": str(sweep_dir),
            "run_ids": [r.run_id for r in pending],
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        write_json(store.root / "submissions" / f"{stamp}.json", record)
        try:
            if detach:
                return LaunchResult(0, log, sweep_dir, command, jobs=_wait_submitted(proc, name, slurm))
            while proc.poll() is None:
                _report(store, wanted, progress)
                time.sleep(poll)
        except (KeyboardInterrupt, Interrupted) as stop:
            interrupted = True
            queued = slurm_jobs(name) if slurm else []
            jobs = job_ids(queued)
            # SIGTERM: nobody to ask, the jobs keep running
            if (
                jobs
                and isinstance(stop, KeyboardInterrupt)
                and ask(f"\n[{exp}] cancel the {len(queued)} submitted SLURM jobs ({','.join(jobs)})? [y/N] ")
            ):
                import submitit

                for jid in jobs:
                    submitit.SlurmJob(folder=sweep_dir / ".submitit" / "%j", job_id=jid).cancel(check=False)
                cancelled = True
                out(f"[{exp}] cancelled SLURM job {','.join(jobs)} (scancel)")
            elif jobs:
                out(
                    f"[{exp}] SLURM job {','.join(jobs)} keeps running; `python -m experiments status "
                    f"{exp}` shows progress and `collect` publishes when all are done"
                )
            _stop(proc)
        finally:
            signal.signal(signal.SIGTERM, previous)
    if waiting and not interrupted:
        interrupted = wait_for(store, wanted, waiting, progress, max(poll, 2.0))
    else:
        _report(store, wanted, progress, final=True)
    code = 130 if interrupted else proc.returncode
    return LaunchResult(code, log, sweep_dir, command, interrupted, jobs=jobs, cancelled=cancelled)


def _wait_submitted(proc: subprocess.Popen[bytes], name: str, slurm: bool, timeout: float = 120.0) -> list[str]:
    """Detached: wait until SLURM has the jobs (or the multirun has ended); returns their job ids."""
    deadline = time.monotonic() + timeout
    while slurm and time.monotonic() < deadline:
        jobs = slurm_jobs(name)
        if jobs:
            return job_ids(jobs)
        if proc.poll() is not None:
            return []
        time.sleep(0.5)
    return []


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the multirun we started: its whole process group (Hydra and its workers)."""
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
