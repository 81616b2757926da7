"""A real single-node SLURM on this machine (Debian slurm-wlm + munge), for tests/test_slurm.py and .ci/run.

    python tests/slurm_cluster.py start     # exit 0 when `sinfo` shows the node idle; prints why not otherwise
    python tests/slurm_cluster.py stop      # stops only the daemons `start` started (by their pid files)

`start` uses a SLURM that is already up (sinfo answers and the partition is up); otherwise it
writes /etc/slurm/slurm.conf (one node = this host, one partition `cpu`), starts munged as user
munge, then slurmctld and slurmd, and waits for the node. Needs root and the Debian packages
(`apt-get install -y slurm-wlm munge`, which .ci/run does). The daemons it started are listed in
/run/govsim-slurm.started so that `stop` never touches daemons someone else runs.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

PARTITION = "cpu"
CONF = Path("/etc/slurm/slurm.conf")
STARTED = Path("/run/govsim-slurm.started")
PIDS = {
    "munged": Path("/run/munge/munged.pid"),
    "slurmctld": Path("/run/slurmctld.pid"),
    "slurmd": Path("/run/slurmd.pid"),
}


def _conf(host: str) -> str:
    return f"""# written by govsim tests/slurm_cluster.py: a single-node SLURM for the tests
ClusterName=govsim
SlurmctldHost={host}
SlurmUser=slurm
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile={PIDS["slurmctld"]}
SlurmdPidFile={PIDS["slurmd"]}
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SchedulerType=sched/backfill
NodeName={host} CPUs={os.cpu_count() or 2} RealMemory=20000 State=UNKNOWN
PartitionName={PARTITION} Default=YES Nodes=ALL MaxTime=INFINITE State=UP
"""


def _run(*cmd: str, timeout: float = 20) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def ready() -> bool:
    """sinfo answers and the partition has an idle (or mixed/allocated) node."""
    if shutil.which("sinfo") is None:
        return False
    try:
        out = _run("sinfo", "-h", "-p", PARTITION, "-o", "%a %t")
    except (OSError, subprocess.TimeoutExpired):
        return False
    states = out.stdout.split()
    return out.returncode == 0 and len(states) >= 2 and states[0] == "up" and states[1] in ("idle", "mix", "alloc")


def _alive(pidfile: Path) -> bool:
    try:
        os.kill(int(pidfile.read_text().split()[0]), 0)
    except (OSError, ValueError):
        return False
    return True


def start(timeout: float = 60) -> str | None:
    """Start (or find) the single-node SLURM; None when ready, else the reason it cannot be started."""
    if ready():
        return None
    missing = [b for b in ("munged", "slurmctld", "slurmd", "sinfo", "sbatch") if shutil.which(b) is None]
    if missing:
        return f"SLURM is not installed ({', '.join(missing)} missing; apt-get install -y slurm-wlm munge)"
    if os.geteuid() != 0:
        return "starting SLURM needs root (munged, slurmctld and slurmd)"
    host = socket.gethostname().split(".")[0]
    started = []
    try:
        for folder, owner in (
            ("/run/munge", "munge"),
            ("/var/log/munge", "munge"),
            ("/var/lib/munge", "munge"),
            ("/var/spool/slurmctld", "slurm"),
            ("/var/spool/slurmd", "root"),
            ("/var/log/slurm", "slurm"),
        ):
            Path(folder).mkdir(parents=True, exist_ok=True)
            shutil.chown(folder, owner, owner)
        if not Path("/etc/munge/munge.key").is_file():
            subprocess.run(["mungekey", "--create"], check=True, capture_output=True)
            shutil.chown("/etc/munge/munge.key", "munge", "munge")
        if not _alive(PIDS["munged"]):
            subprocess.run(["runuser", "-u", "munge", "--", "munged"], check=True, capture_output=True, timeout=20)
            started.append("munged")
        CONF.parent.mkdir(parents=True, exist_ok=True)
        if not CONF.is_file() or "govsim tests/slurm_cluster.py" in CONF.read_text():
            CONF.write_text(_conf(host))
        for daemon in ("slurmctld", "slurmd"):
            if not _alive(PIDS[daemon]):
                subprocess.run([daemon], check=True, capture_output=True, timeout=30)
                started.append(daemon)
    except (OSError, subprocess.SubprocessError, LookupError) as err:
        return f"could not start SLURM: {str(err).splitlines()[0] if str(err) else type(err).__name__}"
    finally:
        if started:
            STARTED.write_text("\n".join(started) + "\n")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return None
        _run("scontrol", "update", f"nodename={host}", "state=resume")
        time.sleep(1)
    return f"SLURM did not come up within {timeout:.0f} s (see /var/log/slurm/)"


def stop() -> None:
    """Stop the daemons `start` started, by their pid files (slurmd, slurmctld, then munged)."""
    if not STARTED.is_file():
        return
    names = STARTED.read_text().split()
    for daemon in ("slurmd", "slurmctld", "munged"):
        if daemon in names and _alive(PIDS[daemon]):
            pid = int(PIDS[daemon].read_text().split()[0])
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 15
            while _alive(PIDS[daemon]) and time.monotonic() < deadline:
                time.sleep(0.2)
    STARTED.unlink(missing_ok=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["start"]:
        reason = start()
        print("SLURM ready" if reason is None else f"SLURM not available: {reason}")
        sys.exit(0 if reason is None else 1)
    if sys.argv[1:] == ["stop"]:
        stop()
        sys.exit(0)
    print("usage: python tests/slurm_cluster.py start|stop", file=sys.stderr)
    sys.exit(2)
