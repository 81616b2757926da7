"""govsim experiments: named, reproducible studies built on Hydra multiruns of the model.

    python -m experiments list
    python -m experiments run policy_comparison
    python -m experiments verify results/policy_comparison

An experiment is a YAML file in configs/experiment/ (schema: `experiments.spec.ExperimentConfig`).
Modules, one job each (imported where they are used: a Hydra job loads experiments.task only):
    spec       the experiment schema, loading and validation (one-line errors)
    plan       conditions x replicate seeds -> runs, each with its resolved config and run id (built once)
    designs    the points of a sampled design (Morris), which plan turns into conditions
    cache      the run cache keyed by config hash (what makes resume work)
    task       the Hydra task: one job = one chunk of runs (the plan's configs), each result into the cache
    launch     chunk files and the Hydra multirun in a child process, with progress; submissions
    aggregate  tidy tables and 95 % confidence intervals
    figures    time series, bars and heat maps
    report     report.md and the console table, with plain-language readings (names from labels)
    patterns, calibration, sensitivity: the analyses an experiment asks for (tables and readings)
    publish    staging folder and atomic swap into results/<name>/ (recovery of its own marked folders only)
    fsio       writes that honour the umask; writability and free-space checks; I/O errors in one line
    runner     the whole pipeline, status and collect
    verify     re-run from a manifest (or a sample) and compare; republish from runs.csv
    cli        the command line (`python -m experiments --help`)
"""
