"""Alias: `python -m experiments.republish results/<name> [...]` is `python -m experiments republish ...`."""

import sys

from experiments.cli import main

if __name__ == "__main__":
    sys.exit(main(["republish", *sys.argv[1:]]))
