"""The run cache: one finished run per file, keyed by the hash of its resolved config.

Layout under the cache root (default `.cache/experiments/`, gitignored):

    <name>/<code>/runs/<run_id>.npz         the run's daily time series (all columns)
    <name>/<code>/runs/<run_id>.json        its summary, seed and timing; written last,
                                            so its presence means the run finished
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
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config import SimConfig
from sim.provenance import write_atomic

SIM_DIR = Path(__file__).resolve().parent.parent / "sim"
STORE_ENV = "GOVSIM_RUN_STORE"
FINGERPRINT_PACKAGES = ("numpy", "mesa", "networkx")


def config_json(cfg: SimConfig) -> str:
    return json.dumps(dataclasses.asdict(cfg), sort_keys=True, separators=(",", ":"))


def run_id(cfg: SimConfig) -> str:
    """SHA-256 (first 16 hex digits) of the canonical JSON of a resolved model config."""
    return hashlib.sha256(config_json(cfg).encode()).hexdigest()[:16]


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

    def _path(self, rid: str, suffix: str) -> Path:
        return self.runs / f"{rid}{suffix}"

    def done(self, rid: str) -> bool:
        """Finished, by the model code this store is for (a job that imported other code does not count)."""
        path = self._path(rid, ".json")
        if not path.is_file():
            return False
        try:
            return json.loads(path.read_text()).get("code") == self.code
        except (OSError, ValueError):
            return False

    def stale(self, rid: str) -> str | None:
        """The code fingerprint of a finished run written by other code than this store's, else None."""
        path = self._path(rid, ".json")
        if not path.is_file():
            return None
        try:
            code = json.loads(path.read_text()).get("code")
        except (OSError, ValueError):
            return "unreadable"
        return None if code == self.code else str(code)

    def discard(self, rid: str) -> None:
        for suffix in (".json", ".npz"):
            self._path(rid, suffix).unlink(missing_ok=True)

    def finished_ids(self) -> set[str]:
        if not self.runs.is_dir():
            return set()
        return {p.name[: -len(".json")] for p in self.runs.glob("*.json") if not p.name.endswith(".error.json")}

    def failed_ids(self) -> set[str]:
        if not self.runs.is_dir():
            return set()
        return {p.name[: -len(".error.json")] for p in self.runs.glob("*.error.json")}

    def write(
        self, rid: str, cfg: SimConfig, summary: dict[str, float], ts: pd.DataFrame, elapsed: float, code: str
    ) -> None:
        buf = io.BytesIO()
        np.savez_compressed(buf, **{f"c{i}": ts[c].to_numpy() for i, c in enumerate(ts.columns)})
        write_atomic(self._path(rid, ".npz"), buf.getvalue())
        record = {
            "run_id": rid,
            "seed": cfg.seed,
            "summary": {k: float(v) for k, v in summary.items()},
            "columns": list(ts.columns),
            "elapsed_seconds": elapsed,
            "host": socket.gethostname(),
            "code": code,
        }
        write_atomic(self._path(rid, ".json"), json.dumps(record, indent=1) + "\n")
        self._path(rid, ".error.json").unlink(missing_ok=True)

    def write_error(self, rid: str, cfg: SimConfig, err: BaseException) -> None:
        record = {
            "run_id": rid,
            "seed": cfg.seed,
            "error": f"{type(err).__name__}: {err}".splitlines()[0],
            "traceback": "".join(traceback.format_exception(err)),
            "host": socket.gethostname(),
        }
        write_atomic(self._path(rid, ".error.json"), json.dumps(record, indent=1) + "\n")

    def error(self, rid: str) -> dict[str, Any] | None:
        path = self._path(rid, ".error.json")
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return {"error": "unreadable error record", "run_id": rid}

    def clear_error(self, rid: str) -> None:
        self._path(rid, ".error.json").unlink(missing_ok=True)

    def summary(self, rid: str) -> dict[str, float]:
        return json.loads(self._path(rid, ".json").read_text())["summary"]

    def record(self, rid: str) -> dict[str, Any]:
        return json.loads(self._path(rid, ".json").read_text())

    def timeseries(self, rid: str) -> pd.DataFrame:
        columns = self.record(rid)["columns"]
        with np.load(self._path(rid, ".npz")) as data:
            return pd.DataFrame({c: data[f"c{i}"] for i, c in enumerate(columns)})
