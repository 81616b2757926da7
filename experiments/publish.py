"""Write results/<name>/ atomically: build a staging folder, then swap it into place.

    results/.<name>.staging-<pid>-<random>/   everything is written here first
    results/<name>/        -> results/.<name>.old-<pid>-<random>/   (the previous results, kept aside)
    staging                -> results/<name>/
    old                    -> deleted

A reader sees either the old folder or the new one, never a mix. If the process
dies between the two renames, the next run (or verify) puts the old folder back.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

STAGING = ".staging-"
OLD = ".old-"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner(path: Path, marker: str) -> int | None:
    try:
        return int(path.name.split(marker, 1)[1].split("-", 1)[0])
    except (IndexError, ValueError):
        return None


def recover(results_root: Path, name: str) -> list[str]:
    """Undo what an interrupted swap or staging left behind; return what was done."""
    notes: list[str] = []
    if not results_root.is_dir():
        return notes
    target = results_root / name
    olds = sorted(results_root.glob(f".{name}{OLD}*"), key=lambda p: p.stat().st_mtime)
    for old in olds:
        pid = _owner(old, OLD)
        if pid is not None and pid != os.getpid() and _pid_alive(pid):
            continue
        if not target.exists():
            os.rename(old, target)
            notes.append(f"restored the previous {target} from an interrupted update")
        else:
            shutil.rmtree(old, ignore_errors=True)
    for staging in results_root.glob(f".{name}{STAGING}*"):
        pid = _owner(staging, STAGING)
        if pid is not None and pid != os.getpid() and _pid_alive(pid):
            continue
        shutil.rmtree(staging, ignore_errors=True)
        notes.append(f"removed an unfinished staging folder {staging.name}")
    return notes


def new_staging(results_root: Path, name: str) -> Path:
    results_root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{name}{STAGING}{os.getpid()}-", dir=results_root))


def _publishable(folder: Path) -> None:
    """Give the staged folder ordinary permissions (mkdtemp/mkstemp create them private)."""
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
        backup = Path(tempfile.mkdtemp(prefix=f".{target.name}{OLD}{os.getpid()}-", dir=target.parent))
        backup.rmdir()
        os.rename(target, backup)
    os.rename(staging, target)
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)


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
