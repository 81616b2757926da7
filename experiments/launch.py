"""Run the pending jobs as one Hydra multirun (in a child process) and show progress.

The child is `python -c "from experiments.task import main; main()" --multirun ...`
with the experiment's sweep, the chosen `hydra/launcher`, the sweep folder in the
run cache, and the cache location passed to every job through
`hydra.job.env_set` (which works on every launcher, remote ones included).
The parent polls the cache for finished and failed runs and prints
`done/total, elapsed, ETA`; it never relies on Hydra callbacks, which do not
run when a job fails.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from experiments.cache import STORE_ENV, RunStore
from experiments.plan import CONDITION_GROUP, Plan, Run, condition_file, condition_option, render
from sim.provenance import write_atomic

LAUNCH_CODE = "from experiments.task import main; main()"
REPO = Path(__file__).resolve().parent.parent


@dataclass
class LaunchResult:
    returncode: int
    log: Path
    sweep_dir: Path
    command: list[str]
    interrupted: bool = False


class Interrupted(Exception):
    """SIGTERM or SIGINT while jobs were running."""


def hydra_args(
    plan: Plan, pending: list[Run], store: RunStore, launcher: str, extra: list[str], stamp: str
) -> list[str]:
    sweep_dir = store.hydra / stamp
    searchpath = []
    if plan.explicit:
        folder = write_condition_files(plan, pending, store.root / "conditions")
        searchpath = [f"hydra.searchpath=[{render('file://' + str(folder))}]"]
    return [
        "--multirun",
        *plan.hydra_sweep(pending),
        *searchpath,
        f"hydra/launcher={launcher}",
        f"hydra.sweep.dir={render(str(sweep_dir))}",
        f"+hydra.job.env_set.{STORE_ENV}={render(str(store.root))}",
        *extra,
    ]


def write_condition_files(plan: Plan, pending: list[Run], folder: Path) -> Path:
    """The config-group files of an explicit experiment's pending conditions; returns the search-path folder."""
    group = folder / CONDITION_GROUP
    group.mkdir(parents=True, exist_ok=True)
    for cond in {r.condition.index: r.condition for r in pending}.values():
        path = group / f"{condition_option(cond)}.yaml"
        text = condition_file(cond)
        if not path.is_file() or path.read_text() != text:
            write_atomic(path, text)
    return folder


def preflight(launcher: str, extra: list[str]) -> None:
    """Compose Hydra's own config with the launcher and hydra.* overrides; raise ExperimentError if it fails.

    Catches a launcher whose plugin is not installed (ray_cluster without
    hydra-ray-launcher) or a misspelt launcher option before anything runs.
    """
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf

    from experiments.spec import ExperimentError
    from sim.api import CONFIG_DIR
    from sim.config import register_configs

    register_configs()
    items = [f"hydra/launcher={launcher}", *extra]
    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            cfg = compose("config", overrides=items, return_hydra_config=True)
            OmegaConf.to_container(cfg.hydra.launcher, resolve=False)
    except Exception as err:  # Hydra raises several unrelated types here
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        hint = ""
        if launcher == "ray_cluster" or "ray" in first:
            hint = " (the Ray launcher needs `pip install hydra-ray-launcher`)"
        raise ExperimentError(f"invalid launcher settings {' '.join(items)}: {first}{hint}") from None


def log_tail(log: Path, lines: int = 15) -> str:
    try:
        text = log.read_text(errors="replace").rstrip().splitlines()
    except OSError:
        return ""
    return "\n".join(text[-lines:])


def duration(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else (f"{m}m{s:02d}s" if m else f"{s}s")


class Progress:
    """Prints `runs done/total` with elapsed time and an ETA from the pace of this session."""

    def __init__(self, name: str, total: int, cached: int, out: Callable[[str], None], every: float = 10.0) -> None:
        self.name, self.total, self.cached, self.out, self.every = name, total, cached, out, every
        self.start = time.monotonic()
        self.last_n = -1
        self.last_t = 0.0
        self.tty = bool(getattr(sys.stdout, "isatty", lambda: False)())

    def update(self, finished: int, failed: int, final: bool = False) -> None:
        now = time.monotonic()
        n = finished + failed
        if n == self.last_n and (not final or not self.tty):
            return
        if not (final or self.tty or n == self.total or now - self.last_t >= self.every or self.last_n < 0):
            return
        elapsed = now - self.start
        new = n - self.cached
        left = self.total - n
        eta = duration(elapsed / new * left) if new > 0 and left > 0 else ("0s" if left == 0 else "--")
        line = (
            f"[{self.name}] {n}/{self.total} runs done"
            + (f" ({self.cached} from cache)" if self.cached else "")
            + (f", {failed} failed" if failed else "")
            + f", elapsed {duration(elapsed)}, ETA {eta}"
        )
        if self.tty and not final:
            print("\r" + line.ljust(100), end="", flush=True)
        else:
            if self.tty:
                print("\r", end="")
            self.out(line)
        self.last_n, self.last_t = n, now


def _raise_interrupt(signum: int, frame: object) -> None:
    raise Interrupted(signal.Signals(signum).name)


def launch(
    plan: Plan,
    pending: list[Run],
    store: RunStore,
    launcher: str,
    extra: list[str],
    progress: Progress,
    poll: float = 0.5,
) -> LaunchResult:
    stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}"
    args = hydra_args(plan, pending, store, launcher, extra, stamp)
    command = [sys.executable, "-c", LAUNCH_CODE, *args]
    store.hydra.mkdir(parents=True, exist_ok=True)
    log = store.hydra / f"{stamp}.log"
    wanted = {r.run_id for r in plan.runs}
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    interrupted = False
    with open(log, "wb") as fh:
        fh.write((" ".join(command) + "\n\n").encode())
        fh.flush()
        proc = subprocess.Popen(command, cwd=REPO, stdout=fh, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        try:
            while proc.poll() is None:
                _report(store, wanted, progress)
                time.sleep(poll)
        except (KeyboardInterrupt, Interrupted):
            interrupted = True
            _stop(proc)
        finally:
            signal.signal(signal.SIGTERM, previous)
    _report(store, wanted, progress, final=True)
    return LaunchResult(proc.returncode if not interrupted else 130, log, store.hydra / stamp, command, interrupted)


def _report(store: RunStore, wanted: set[str], progress: Progress, final: bool = False) -> None:
    finished = store.finished_ids() & wanted
    failed = (store.failed_ids() & wanted) - finished
    progress.update(len(finished), len(failed), final=final)


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
