"""The Hydra task of an experiment: one job = one chunk of runs, each result into the run cache.

`python -m experiments run` launches it as a Hydra multirun over chunk numbers, e.g.

    python -c "from experiments.task import main; main()" --multirun chunk=0,1,2 hydra/launcher=local \\
        hydra.sweep.dir=<cache>/<name>/<code>/hydra/<stamp>

so any Hydra launcher (joblib, basic, submitit, ray) runs the jobs. Chunk k is the file
`<sweep dir>/chunks/<k>.json` that the launching process wrote from the plan: each run's id and
resolved config, exactly as the plan built them (nothing is composed again). The job rebuilds each
config through the schema, checks that it hashes to its run id, runs it unless its result is
already cached, and writes the result (or the error) under that id in the run cache, the folder
two levels above the sweep folder. A failing run does not stop the chunk; the job raises at the
end, so the multirun reports it. Nothing is written into the job's working directory.

Failure injection (for testing the failure path, documented in the README):
`GOVSIM_FAIL_SEEDS=<seed>,<seed>` makes the runs with those replicate seeds raise before the
model starts.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import hydra
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from experiments.cache import RunStore, code_fingerprint, run_id
from experiments.spec import typed
from sim.api import CONFIG_DIR, run_simulation
from sim.config import SimConfig, validate

FAIL_ENV = "GOVSIM_FAIL_SEEDS"
CONFIG_NAME = "govsim_task"
# The task's own config: a chunk number, and Hydra settings (the launchers come from configs/hydra/launcher/).
TASK_CONFIG = {
    "chunk": 0,
    "hydra": {
        "job": {"chdir": False},
        "sweep": {"subdir": "${hydra:job.num}"},
        "job_logging": {"loggers": {"MESA": {"level": "WARNING"}}},
    },
}
# The model code this process imported: a result is only valid in the store of that code.
CODE = code_fingerprint()


class InjectedFailure(RuntimeError):
    """Raised for runs listed in GOVSIM_FAIL_SEEDS (testing the failure path only)."""


def _failing_seeds() -> set[int]:
    text = os.environ.get(FAIL_ENV, "")
    return {int(s) for s in text.replace(" ", "").split(",") if s}


def chunk_file(sweep_dir: Path, chunk: int) -> Path:
    return Path(sweep_dir) / "chunks" / f"{chunk}.json"


def run_one(store: RunStore, rid: str, data: dict[str, Any], record_every: int = 1) -> None:
    """One run of a chunk: its config as the plan built it, its result (or its error) under `rid`;
    its states recorded every `record_every` days (the experiment's cadence)."""
    try:
        cfg = validate(typed(data, SimConfig))
        hashed = run_id(cfg, record_every)
        if hashed != rid:
            raise RuntimeError(f"the config of run {rid} hashes to {hashed}: the chunk file was altered")
        if cfg.seed in _failing_seeds():
            raise InjectedFailure(f"injected failure for seed {cfg.seed} ({FAIL_ENV})")
        start = time.perf_counter()
        result = run_simulation(cfg, record_every=record_every)
        store.write(rid, cfg.seed, result.summary, result.timeseries, time.perf_counter() - start, CODE)
    except Exception as err:
        try:
            store.write_error(rid, data.get("seed"), err)
        except OSError as io_err:  # the cache itself cannot be written (full, read-only): say so in the job log
            print(f"experiments.task: cannot record the error of run {rid}: {io_err}", file=sys.stderr)
        raise


def run_job(cfg: DictConfig) -> list[str]:
    path = chunk_file(Path(HydraConfig.get().sweep.dir), int(cfg.chunk))
    if not path.is_file():
        raise RuntimeError(f"no chunk file {path}: launch jobs through `python -m experiments run`")
    store = RunStore(path.parents[3])  # <store>/hydra/<stamp>/chunks/<k>.json
    runs = json.loads(path.read_text())["runs"]
    failed = []
    for entry in runs:
        if store.done(entry["run_id"]):
            continue
        try:
            run_one(store, entry["run_id"], entry["config"], entry.get("record_every", 1))  # the run id checks it
        except Exception as err:
            traceback.print_exc()
            failed.append(f"{entry['run_id']} ({type(err).__name__}: {err})".splitlines()[0])
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(runs)} runs of chunk {cfg.chunk} failed: {'; '.join(failed)}")
    return [entry["run_id"] for entry in runs]


ConfigStore.instance().store(name=CONFIG_NAME, node=TASK_CONFIG)

# The task function is `run_job` itself, so launchers that pickle it (joblib's
# loky, submitit) pickle a reference to an importable function, not a copy.
main = hydra.main(config_path=str(CONFIG_DIR), config_name=CONFIG_NAME, version_base="1.3")(run_job)

if __name__ == "__main__":
    main()
