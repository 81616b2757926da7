"""The speed benchmark command, at a tiny size, so that it cannot rot.

No timed assertions: only that it runs, measures and writes what it promises.
"""

from __future__ import annotations

import csv
import math
import subprocess
import sys
from pathlib import Path

from benchmarks.scale import COLUMNS, parse_sizes, population_overrides, time_command

REPO = Path(__file__).resolve().parent.parent


def test_benchmark_sizes_follow_the_models_population_rule():
    assert population_overrides(100_000) == ["population.n_citizens=100000"]


def test_benchmark_command_at_tiny_size(tmp_path):
    # 210 days: enough for the flatness ratio (days 2-101 against the last 100)
    cmd = [sys.executable, "-m", "benchmarks", "--sizes", "600:210,1200", "--days", "8"]
    cmd += ["--mesa-days", "1", "--repeat", "2", "--no-commands", "--out", str(tmp_path)]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr

    with (tmp_path / "benchmark.csv").open() as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ()) == COLUMNS
        rows = list(reader)
    assert [int(r["n_citizens"]) for r in rows] == [600, 1200]
    assert [int(r["days"]) for r in rows] == [210, 8]
    assert float(rows[0]["flat_ratio"]) > 0 and math.isnan(float(rows[1]["flat_ratio"]))
    assert int(rows[0]["mesa_days"]) == 210 and int(rows[1]["mesa_days"]) == 8  # the model's own horizon
    for r in rows:
        positive = ("setup_s", "run_s", "citizen_days_per_s", "citizen_days_per_cpu_s", "copy_ms_per_day")
        for key in (*positive, "mesa_ms_per_day", "peak_mb"):
            assert float(r[key]) > 0, key
        for key in ("x_memory_floor", "x_faster_than_mesa", "bytes_per_citizen"):
            assert math.isfinite(float(r[key])), key
        assert int(r["n_agencies"]) == 8 * (int(r["n_districts"]) + 2)
        assert r["cpu"] and r["python"] and r["numpy"] and r["mesa"]
        assert len(r["result_digest"]) == 16  # and the two runs of each size agreed on it
        assert int(r["repeat"]) == 2
    assert math.isnan(float(rows[0]["scaling_vs_previous"]))
    assert float(rows[1]["scaling_vs_previous"]) > 0

    png = (tmp_path / "benchmark.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 1000
    readme = (tmp_path / "README.md").read_text()
    assert "## Machine" in readme and "x faster than Mesa" in readme and "1,200" in readme
    assert "x faster than Mesa" in proc.stdout


def test_sizes_take_their_own_horizons_and_bad_items_fail_in_one_line():
    assert parse_sizes("1000000:365,10000:1095,2000", 40) == [(2000, 40), (10_000, 1095), (1_000_000, 365)]
    for bad in ("ten", "50", "1000:0", ""):
        try:
            parse_sizes(bad, 40)
        except SystemExit as err:
            assert "\n" not in str(err) and "allowed" in str(err), err
        else:
            raise AssertionError(f"accepted {bad!r}")


def test_command_timing_reports_the_best_of_fresh_processes():
    row = time_command(["-c", "pass"], 2, REPO)
    assert row["command"] == "python -c pass" and row["runs"] == 2 and 0 < row["wall_s"] < 30
