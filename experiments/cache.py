"""The run cache: one finished run per file, keyed by the hash of its resolved config.

Layout under the cache root (default `.cache/experiments/`, gitignored):

    <name>/<code>/runs/<run_id>.npz         the run's daily time series (all columns)
    <name>/<code>/runs/<run_id>.json        its summary, seed, timing, the SHA-256 of the .npz and a
                                            SHA-256 of the record itself; written last, so its presence
                                            means the run finished, and an entry whose checksums do not
                                            match (edited, truncated, emptied) is discarded and re-run
    <name>/<code>/runs/<run_id>.error.json  the error of a run that raised
    <name>/<code>/hydra/<stamp>/            Hydra's multirun folder (job configs and logs)
    <name>/<code>/hydra/<stamp>.log         the multirun's console output

`<code>` fingerprints the model code (sim/*.py) and the numeric packages,
so results cached before the model changed are never mixed with new ones.
Jobs write only their own files, atomically, so parallel jobs and an
interrupted experiment leave the cache consistent.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import platform
import socket
import traceback
from collections.abc import Collection
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from experiments.fsio import write_atomic

if TYPE_CHECKING:
    import pandas as pd

    from sim.config import SimConfig

SIM_DIR = Path(__file__).resolve().parent.parent / "sim"
FINGERPRINT_PACKAGES = ("numpy", "numba", "llvmlite", "mesa", "networkx")
CHECKSUM = "checksum"  # key of the record's own SHA-256 (of its canonical JSON without this key)


def record_checksum(record: dict[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != CHECKSUM}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def run_id(cfg: SimConfig, record_every: int = 1) -> str:
    """SHA-256 (first 16 hex digits) of the canonical JSON of a resolved model config; a run that records
    its states every `record_every` days (not every day) has a time series of its own, so the cadence is
    hashed with the config (a daily run keeps the id of its config alone)."""
    body: Any = dataclasses.asdict(cfg)
    if record_every != 1:
        body = {"config": body, "record_every": record_every}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def code_fingerprint() -> str:
    """Hash of the model's source files and the versions of the packages that shape its numbers."""
    h = hashlib.sha256()
    for path in sorted(SIM_DIR.rglob("*.py")):
        h.update(path.relative_to(SIM_DIR).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    h.update(f"python={platform.python_version()}".encode())
    for name in FINGERPRINT_PACKAGES:
        try:
            h.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{name}=absent".encode())
    return h.hexdigest()[:12]


class RunStore:
    """The cache of one experiment under one model-code fingerprint (the name of its folder)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.code = self.root.name
        self.runs = self.root / "runs"
        self.hydra = self.root / "hydra"

    def path(self, rid: str, suffix: str = ".json") -> Path:
        return self.runs / f"{rid}{suffix}"

    def check(self, rid: str) -> str | None:
        """Why the cached entry of `rid` cannot be trusted, or None when it is intact (or absent).

        Intact: the record parses, its own checksum matches, and the .npz has the SHA-256 it records.
        """
        path = self.path(rid)
        if not path.is_file():
            return None
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError) as err:
            return f"unreadable record ({type(err).__name__})"
        if not isinstance(record, dict):
            return "unreadable record (not a JSON object)"
        if CHECKSUM not in record:
            return "no checksum (written by an older version of govsim)"
        if record[CHECKSUM] != record_checksum(record):
            return "the record does not match its checksum (edited or damaged)"
        npz = self.path(rid, ".npz")
        try:
            digest = hashlib.sha256(npz.read_bytes()).hexdigest()
        except OSError as err:
            return f"time series {npz.name} unreadable ({err.strerror or type(err).__name__})"
        if digest != record.get("npz_sha256"):
            return f"time series {npz.name} does not match its checksum (truncated, emptied or edited)"
        return None

    def done(self, rid: str) -> bool:
        """Finished and intact, by the model code this store is for (a job that imported other code does not count)."""
        return self.path(rid).is_file() and self.check(rid) is None and self.stale(rid) is None

    def stale(self, rid: str) -> str | None:
        """The code fingerprint of a finished run written by other code than this store's, else None."""
        path = self.path(rid)
        if not path.is_file():
            return None
        try:
            code = json.loads(path.read_text()).get("code")
        except (OSError, ValueError, AttributeError):
            return "unreadable"
        return None if code == self.code else str(code)

    def discard(self, rid: str) -> None:
        for suffix in (".json", ".npz"):
            self.path(rid, suffix).unlink(missing_ok=True)

    def write(
        self, rid: str, seed: int, summary: dict[str, float], ts: pd.DataFrame, elapsed: float, code: str
    ) -> None:
        import numpy as np

        buf = io.BytesIO()
        np.savez_compressed(buf, **{f"c{i}": ts[c].to_numpy() for i, c in enumerate(ts.columns)})
        data = buf.getvalue()
        write_atomic(self.path(rid, ".npz"), data)
        record: dict[str, Any] = {
            "run_id": rid,
            "seed": seed,
            "summary": {k: float(v) for k, v in summary.items()},
            "columns": list(ts.columns),
            "elapsed_seconds": elapsed,
            "host": socket.gethostname(),
            "code": code,
            "npz_sha256": hashlib.sha256(data).hexdigest(),
        }
        record[CHECKSUM] = record_checksum(record)
        write_atomic(self.path(rid), json.dumps(record, indent=1) + "\n")
        self.clear_error(rid)

    def write_error(self, rid: str, seed: int | None, err: BaseException) -> None:
        record = {
            "run_id": rid,
            "seed": seed,
            "error": f"{type(err).__name__}: {err}".splitlines()[0],
            "traceback": "".join(traceback.format_exception(err)),
            "host": socket.gethostname(),
        }
        write_atomic(self.path(rid, ".error.json"), json.dumps(record, indent=1) + "\n")

    def error(self, rid: str) -> dict[str, Any] | None:
        path = self.path(rid, ".error.json")
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return {"error": "unreadable error record", "run_id": rid}

    def clear_error(self, rid: str) -> None:
        self.path(rid, ".error.json").unlink(missing_ok=True)

    def record(self, rid: str) -> dict[str, Any]:
        return json.loads(self.path(rid).read_text())

    def summary(self, rid: str) -> dict[str, float]:
        return self.record(rid)["summary"]

    def timeseries(self, rid: str, only: Collection[str] | None = None) -> pd.DataFrame:
        """The run's daily table; with `only`, just those columns (each column is read on its own)."""
        import numpy as np
        import pandas as pd

        columns = self.record(rid)["columns"]
        with np.load(self.path(rid, ".npz")) as data:
            return pd.DataFrame({c: data[f"c{i}"] for i, c in enumerate(columns) if only is None or c in only})
