"""Write results/<name>/ atomically: build a staging folder, then swap it into place.

    results/.<name>.staging-<pid>-<random>/   everything is written here first
    results/<name>/        -> results/.<name>.old-<pid>-<random>/   (the previous results, kept aside)
    staging                -> results/<name>/
    old                    -> deleted

A reader sees either the old folder or the new one, never a mix. If the process
dies between the two renames, the next run (or verify) puts the old folder back.

Every folder this tool creates or moves aside has a marker file beside it,
`.<name>.staging-...govsim` / `.<name>.old-...govsim`, holding the host, the pid and
a random token (also in the folder's name). Recovery touches only folders whose
marker is intact, names this host and a process that has ended, and (for an old
folder) that hold a manifest.json: another tool's folders, another host's on
shared storage, and live runs are left alone. Each recovery is reported in one line.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

from experiments.fsio import pid_alive

STAGING = ".staging-"
OLD = ".old-"
MARKER = ".govsim"  # suffix of the marker file beside a folder this tool created
TOOL = "govsim-experiments"
MANIFEST = "manifest.json"


def sha256_file(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _marker(folder: Path) -> Path:
    return folder.with_name(folder.name + MARKER)


def _mark(folder: Path, token: str, kind: str) -> None:
    record = {"tool": TOOL, "kind": kind, "host": socket.gethostname(), "pid": os.getpid(), "token": token}
    _marker(folder).write_text(json.dumps(record) + "\n")


def _ours(folder: Path, kind: str) -> bool:
    """Whether recovery may touch it: our marker, the token in the name, this host, a process that has ended."""
    try:
        record = json.loads(_marker(folder).read_text())
    except (OSError, ValueError):
        return False
    if not isinstance(record, dict) or record.get("tool") != TOOL or record.get("kind") != kind:
        return False
    token, pid = str(record.get("token", "")), record.get("pid")
    return (
        bool(token)
        and folder.name.endswith("-" + token)
        and record.get("host") == socket.gethostname()
        and isinstance(pid, int)
        and (pid == os.getpid() or not pid_alive(pid))
    )


def recover(results_root: Path, name: str) -> list[str]:
    """Undo what an interrupted swap or staging of this tool left behind; return one line per action."""
    notes: list[str] = []
    target = results_root / name
    olds = [p for p in results_root.glob(f".{name}{OLD}*") if p.is_dir()]
    for old in sorted(olds, key=lambda p: p.stat().st_mtime):
        if not _ours(old, "old") or not (old / MANIFEST).is_file():
            continue
        if not target.exists():
            os.rename(old, target)
            _marker(old).unlink(missing_ok=True)
            notes.append(f"restored the previous {target} from an interrupted update ({old.name})")
        else:
            discard_staging(old)
            notes.append(f"removed {old.name}, the previous results an interrupted update had set aside")
    for staging in [p for p in results_root.glob(f".{name}{STAGING}*") if p.is_dir()]:
        if _ours(staging, "staging"):
            discard_staging(staging)
            notes.append(f"removed an unfinished staging folder {staging.name}")
    return notes


def new_staging(results_root: Path, name: str) -> Path:
    results_root.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(8)
    folder = results_root / f".{name}{STAGING}{os.getpid()}-{token}"
    _mark(folder, token, "staging")  # the marker first: a folder without one is never touched by recovery
    folder.mkdir()
    return folder


def discard_staging(folder: Path) -> None:
    """Remove a folder this tool made and its marker (a failed or interrupted write, or results set aside)."""
    shutil.rmtree(folder, ignore_errors=True)
    _marker(folder).unlink(missing_ok=True)


def _publishable(folder: Path) -> None:
    """Give the staged folder ordinary permissions (0777/0666 minus the umask)."""
    umask = os.umask(0)
    os.umask(umask)
    folder.chmod(0o777 & ~umask)
    for path in folder.rglob("*"):
        path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


def swap_in(staging: Path, target: Path) -> None:
    """Replace `target` by `staging` with two renames on the same file system."""
    _publishable(staging)
    backup = None
    if target.exists():
        token = secrets.token_hex(8)
        backup = target.parent / f".{target.name}{OLD}{os.getpid()}-{token}"
        _mark(backup, token, "old")
        os.rename(target, backup)
    os.rename(staging, target)
    _marker(staging).unlink(missing_ok=True)
    if backup is not None:
        discard_staging(backup)


class Busy(RuntimeError):
    """Another process is running the same experiment."""


@contextlib.contextmanager
def exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock (one run of an experiment at a time per cache)."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            other = fh.read().strip() or "?"
            raise Busy(f"another run is using {lock_path.parent} (pid {other})") from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
