"""File writes that honour the umask, I/O errors as one line, and whether a process lives.

`write_atomic` and `write_json` are sim.provenance's (one implementation for the model and the
experiments): a temporary file beside the target, then renamed, so readers never see half a file,
with the permissions of an ordinary file (0666 minus the umask). `check_writable` checks, before any
run starts, that a folder can be written and has room for what the plan will write.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from sim.provenance import write_atomic, write_json

__all__ = ["ExperimentIOError", "check_writable", "describe_os_error", "pid_alive", "rel", "write_atomic", "write_json"]


def rel(path: Path) -> str:
    """`path` relative to the working directory when it lies inside it (what the user typed), else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def pid_alive(pid: int) -> bool:
    """A live process (a zombie that nobody reaped, as an orphaned detached multirun can be, is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


class ExperimentIOError(Exception):
    """An I/O failure the tool reports in one line (path and errno); exit status 1."""


def describe_os_error(err: OSError, where: str | Path | None = None) -> str:
    """`<path>: [Errno 28] No space left on device` (one line)."""
    path = err.filename or where or "?"
    if err.errno is not None:
        reason = f"[Errno {err.errno}] {err.strerror or os.strerror(err.errno)}"
    else:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return f"{path}: {reason}"


def check_writable(folder: Path, need_bytes: int, what: str) -> None:
    """Raise ExperimentIOError (one line) unless `folder` can be written (or created) and has `need_bytes` free.

    Creates nothing that stays: a probe folder in `folder` (or, when it does not exist yet, in its
    nearest existing parent) is made and removed at once.
    """
    folder = Path(folder).absolute()
    parent = next(p for p in [folder, *folder.parents] if p.exists())
    try:
        os.rmdir(tempfile.mkdtemp(dir=parent, prefix=".govsim-probe-"))
        free = shutil.disk_usage(parent).free
    except OSError as err:
        err.filename = None  # name the folder, not the probe
        raise ExperimentIOError(f"cannot write the {what} {describe_os_error(err, folder)}") from None
    if free < need_bytes:
        raise ExperimentIOError(
            f"not enough free space for the {what} {folder}: {_mb(free)} free, the plan needs about {_mb(need_bytes)}"
        )


def _mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB" if n < 1e9 else f"{n / 1e9:,.2f} GB"
