"""A real single-node SLURM (Debian slurm-wlm + munge) driving `launcher=slurm`.

The fixture starts SLURM on this machine with tests/slurm_cluster.py (or uses one that is
already up) and the tests skip, with the reason, when it cannot be started (not installed,
not root). `.ci/run` installs the packages, so in CI these tests run. Covered: runs.csv
bitwise identical to the serial launcher's; `--detach`, `status`, `collect`, and the
dependent SLURM job that collects when the array has ended; a re-run that does not submit
queued runs again; Ctrl-C that cancels (or keeps) the jobs; a hang-up
(SIGHUP) that no longer loses the results. Jobs are submitted held (`sbatch --hold`) where
a test needs them to stay queued, and released with `scontrol release`; no timed assertions.
"""

from __future__ import annotations

import contextlib
import fcntl
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import slurm_cluster

REPO = Path(__file__).resolve().parent.parent
TINY = Path(__file__).resolve().parent / "data" / "experiments" / "tiny.yaml"
SLURM = ["launcher=slurm", f"hydra.launcher.partition={slurm_cluster.PARTITION}", "hydra.launcher.mem_gb=1"]
HOLD = "+hydra.launcher.additional_parameters={hold:true}"
WAIT = 300  # seconds: an upper bound for a few tiny jobs on a loaded 2-core machine, never an assertion


LOCK = Path("/tmp/govsim-slurm-tests.lock")


@contextlib.contextmanager
def exclusive_cluster():
    """One test at a time on the one cluster (pytest -n 2 workers, or other sessions on this machine)."""
    with open(LOCK, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@pytest.fixture(scope="module")
def slurm():
    with exclusive_cluster():
        reason = slurm_cluster.start()
    if reason is not None:
        pytest.skip(f"no SLURM on this machine: {reason}")
    yield
    with exclusive_cluster():
        slurm_cluster.stop()


def _command(args: tuple[str, ...], root: Path) -> list[str]:
    """`python -m experiments <args>` with this test's own results and cache folders."""
    return [
        sys.executable,
        "-m",
        "experiments",
        *args,
        "--results",
        str(root / "results"),
        "--cache",
        str(root / "cache"),
    ]


def experiments(*args: str, root: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        _command(args, root),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=WAIT,
        input=stdin,
    )


def start(*args: str, root: Path) -> subprocess.Popen:
    return subprocess.Popen(
        _command(args, root),
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_as_from_a_terminal,
    )


def _as_from_a_terminal() -> None:
    """Ctrl-C as a user's terminal delivers it. A test run started in the background of a
    non-interactive shell (`nohup ... &`) has SIGINT ignored, every child inherits that, and the CLI
    would then never see the Ctrl-C these tests send (seen in /proc/<pid>/status, SigIgn)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def queue(prefix: str = "govsim-tiny-") -> list[tuple[str, str, str]]:
    """(job id, name, state) of our jobs in squeue."""
    out = subprocess.run(["squeue", "-h", "-r", "-o", "%i %j %T"], capture_output=True, text=True, timeout=30).stdout
    rows = [line.split() for line in out.splitlines() if line.strip()]
    return [(r[0], r[1], r[2]) for r in rows if len(r) == 3 and r[1].startswith(prefix)]


def wait_until(predicate, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what} after {WAIT} s")
        time.sleep(0.5)


def release_all() -> None:
    for jid in sorted({j.split("_")[0] for j, _, _ in queue()}):
        subprocess.run(["scontrol", "release", jid], capture_output=True, timeout=30)


def cancel_all() -> None:
    for jid in sorted({j.split("_")[0] for j, _, _ in queue("govsim-")}):
        subprocess.run(["scancel", jid], capture_output=True, timeout=30)


@pytest.fixture
def clean_queue(slurm):
    with exclusive_cluster():
        reason = slurm_cluster.start()  # another pytest worker may have stopped it in between
        if reason is not None:
            pytest.skip(f"no SLURM on this machine: {reason}")
        cancel_all()
        yield
        cancel_all()


def test_slurm_runs_are_bitwise_those_of_the_serial_launcher(clean_queue, tmp_path):
    serial = experiments("run", str(TINY), "launcher=serial", root=tmp_path / "serial")
    assert serial.returncode == 0, serial.stdout + serial.stderr
    cluster = experiments("run", str(TINY), *SLURM, root=tmp_path / "slurm")
    assert cluster.returncode == 0, cluster.stdout + cluster.stderr
    a = (tmp_path / "serial" / "results" / "tiny" / "runs.csv").read_bytes()
    b = (tmp_path / "slurm" / "results" / "tiny" / "runs.csv").read_bytes()
    assert a == b and len(a.splitlines()) == 5
    # the jobs really went through sbatch: submitit's per-task folders name the array job
    assert list((tmp_path / "slurm" / "cache").rglob(".submitit/*_0"))


def test_detach_status_no_double_submit_and_collect(clean_queue, tmp_path):
    root = tmp_path / "detached"
    proc = experiments("run", str(TINY), *SLURM, HOLD, "--detach", root=root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "submitted 4 runs (SLURM job " in proc.stdout and "detached" in proc.stdout
    jobs = queue()
    assert len(jobs) == 4 and {state for _, _, state in jobs} == {"PENDING"}
    name = jobs[0][1]
    # and a dependent job that collects once the array has ended
    assert "collects and publishes when the runs have ended" in proc.stdout
    assert [n for _, n, _ in queue("govsim-collect-")] == ["govsim-collect-tiny"]

    status = experiments("status", str(TINY), *SLURM, root=root)
    assert status.returncode == 0, status.stderr
    assert "4 runs: 0 done, 4 queued or running, 0 failed, 0 not started" in status.stdout
    assert f"name {name}" in status.stdout

    # a re-run (attached or detached) does not submit the queued runs a second time
    again = experiments("run", str(TINY), *SLURM, "--detach", root=root)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "4 in flight" in again.stdout and "nothing to submit" in again.stdout
    assert {n for _, n, _ in queue()} == {name}

    early = experiments("collect", str(TINY), *SLURM, root=root)
    assert early.returncode == 1 and "not collected: 4 of 4 runs are not done yet" in early.stderr
    assert not (root / "results" / "tiny").exists()

    release_all()
    wait_until(lambda: not queue("govsim-"), "the released jobs and the collect job to finish")
    done = experiments("status", str(TINY), *SLURM, root=root)
    assert "4 runs: 4 done, 0 queued or running, 0 failed, 0 not started" in done.stdout, done.stdout
    # the dependent job published the results, nobody on the login node did
    logs = list((root / "cache").rglob("collect-*.log"))
    assert len(logs) == 1 and "wrote" in logs[0].read_text(), [p.read_text() for p in logs]
    published = (root / "results" / "tiny" / "runs.csv").read_bytes()
    collected = experiments("collect", str(TINY), *SLURM, root=root)  # collecting again is harmless
    assert collected.returncode == 0, collected.stdout + collected.stderr
    assert (root / "results" / "tiny" / "runs.csv").read_bytes() == published
    serial = experiments("run", str(TINY), "launcher=serial", root=tmp_path / "serial")
    assert serial.returncode == 0, serial.stdout + serial.stderr
    assert (root / "results" / "tiny" / "runs.csv").read_bytes() == (
        tmp_path / "serial" / "results" / "tiny" / "runs.csv"
    ).read_bytes()


@pytest.mark.parametrize("answer", ["y", "n"])
def test_ctrl_c_asks_and_cancels_or_keeps_the_jobs(clean_queue, tmp_path, answer):
    root = tmp_path / answer
    proc = start("run", str(TINY), *SLURM, HOLD, root=root)
    wait_until(lambda: len(queue()) == 4 or proc.poll() is not None, "the held jobs to be queued")
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(answer + "\n", timeout=WAIT)
    assert proc.returncode == 130, out + err
    assert "cancel the 4 submitted SLURM jobs" in err
    assert f"{root / 'results' / 'tiny'}/ was not touched" in err
    if answer == "y":
        assert "(scancel)" in out
        wait_until(lambda: not queue(), "scancel to empty the queue")
    else:
        assert "keeps running" in out and len(queue()) == 4
        # a re-run attaches to those jobs instead of submitting them again, and publishes when they finish
        again = start("run", str(TINY), *SLURM, root=root)
        header = again.stdout.readline()  # printed once it has looked at the queue
        assert "4 in flight" in header and "not submitted again" in header and "0 to run" in header, header
        release_all()
        out, err = again.communicate(timeout=WAIT)
        assert again.returncode == 0, out + err
        assert (root / "results" / "tiny" / "runs.csv").is_file()
        assert not queue()


def test_a_hang_up_no_longer_loses_the_results(clean_queue, tmp_path):
    root = tmp_path / "hup"
    proc = start("run", str(TINY), *SLURM, HOLD, root=root)
    wait_until(lambda: len(queue()) == 4 or proc.poll() is not None, "the held jobs to be queued")
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGHUP)
    release_all()
    out, err = proc.communicate(timeout=WAIT)
    assert proc.returncode == 0, out + err
    assert (root / "results" / "tiny" / "runs.csv").is_file()
    logs = list((root / "cache").rglob("console-*.log"))
    assert len(logs) == 1 and "hang-up (SIGHUP)" in logs[0].read_text()
    assert "wrote" in logs[0].read_text()
