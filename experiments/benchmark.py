"""Alias: `python -m experiments.benchmark` runs the scale benchmark, now `python -m benchmarks`."""

if __name__ == "__main__":
    import runpy

    runpy.run_module("benchmarks", run_name="__main__", alter_sys=True)
