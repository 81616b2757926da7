"""The Hydra task of an experiment: one job = one simulation run, result into the run cache.

`python -m experiments run` launches this module as a Hydra multirun, e.g.

    python -m experiments.task --multirun policy=quota,training seed=11,12 \\
        hydra/launcher=local hydra.job.env_set.GOVSIM_RUN_STORE=<cache>/<name>/<code>

so any Hydra launcher (joblib, basic, submitit, ray) can run the jobs. The job
composes the model config exactly as `python -m sim` does, hashes it, and
writes its result (or its error) under that hash; a job whose result is
already cached returns at once. Nothing is written into the job's working
directory.

Failure injection (for testing the failure path, documented in the README):
`GOVSIM_FAIL_SEEDS=<seed>,<seed>` makes the runs with those replicate seeds
raise before the model starts.
"""

from __future__ import annotations

import os
import sys
import time

import hydra
from omegaconf import DictConfig

from experiments.cache import STORE_ENV, RunStore, code_fingerprint, run_id
from sim.api import CONFIG_DIR, run_simulation, to_sim_config
from sim.config import register_configs

FAIL_ENV = "GOVSIM_FAIL_SEEDS"
# The model code this process imported: a result is only valid in the store of that code.
CODE = code_fingerprint()


class InjectedFailure(RuntimeError):
    """Raised for runs listed in GOVSIM_FAIL_SEEDS (testing the failure path only)."""


def _failing_seeds() -> set[int]:
    text = os.environ.get(FAIL_ENV, "")
    return {int(s) for s in text.replace(" ", "").split(",") if s}


def run_job(cfg: DictConfig) -> str:
    store_root = os.environ.get(STORE_ENV)
    if not store_root:
        raise RuntimeError(f"{STORE_ENV} is not set: launch jobs through `python -m experiments run`")
    store = RunStore(store_root)
    sim_cfg = to_sim_config(cfg)
    rid = run_id(sim_cfg)
    if store.done(rid):
        return rid
    try:
        if sim_cfg.seed in _failing_seeds():
            raise InjectedFailure(f"injected failure for seed {sim_cfg.seed} ({FAIL_ENV})")
        start = time.perf_counter()
        result = run_simulation(sim_cfg)
        store.write(rid, sim_cfg, result.summary, result.timeseries, time.perf_counter() - start, CODE)
    except Exception as err:
        try:
            store.write_error(rid, sim_cfg, err)
        except OSError as io_err:  # the cache itself cannot be written (full, read-only): say so in the job log
            print(f"experiments.task: cannot record the error of run {rid}: {io_err}", file=sys.stderr)
        raise
    return rid


register_configs()

# The task function is `run_job` itself, so launchers that pickle it (joblib's
# loky, submitit) pickle a reference to an importable function, not a copy.
main = hydra.main(config_path=str(CONFIG_DIR), config_name="config", version_base="1.3")(run_job)

if __name__ == "__main__":
    main()
