"""govsim experiments: named, reproducible studies built on Hydra multiruns of the model.

    python -m experiments list
    python -m experiments run policy_comparison
    python -m experiments verify results/policy_comparison

An experiment is a YAML file in configs/experiment/ (schema: `experiments.spec.ExperimentConfig`).
Modules, one job each:
    spec       the experiment schema, loading and validation (one-line errors)
    plan       conditions x replicate seeds -> runs, each with its resolved config and run id (built once)
    cache      the run cache keyed by config hash (what makes resume work)
    task       the Hydra task: one job = one chunk of runs (the plan's configs), each result into the cache
    launch     chunk files and the Hydra multirun in a child process, with progress; submissions
    aggregate  tidy tables and 95 % confidence intervals
    figures    time series, bars and heat maps
    report     report.md and the console table, with plain-language readings
    publish    staging folder and atomic swap into results/<name>/ (recovery of its own marked folders only)
    fsio       writes that honour the umask; writability and free-space checks; I/O errors in one line
    runner     the whole pipeline, status and collect; verify: re-run from a manifest (or a sample) and compare
"""

from importlib import import_module
from typing import Any

_EXPORTS = {
    "ExperimentConfig": "experiments.spec",
    "ExperimentError": "experiments.spec",
    "load_experiment": "experiments.spec",
    "Options": "experiments.runner",
    "run_experiment": "experiments.runner",
    "verify": "experiments.verify",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    # lazy: a Hydra job imports experiments.task only, not matplotlib or scipy
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(name)
