"""`python -m experiments.republish results/<name> [...]`: rewrite a results folder's tables, figures and
report.md from its own committed runs.csv and timeseries.csv.gz, without running any simulation
(`experiments.verify.republish`); `python -m experiments verify results/<name> --sample 1` checks it."""

import sys
from pathlib import Path

from experiments.verify import republish

if __name__ == "__main__":
    if not sys.argv[1:] or "-h" in sys.argv or "--help" in sys.argv:
        sys.exit(__doc__)
    for folder in sys.argv[1:]:
        republish(Path(folder))
