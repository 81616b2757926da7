"""`python -m sim`: one simulation as a Hydra app (overrides, -m sweeps, launchers).

Bad input is caught before Hydra creates any output folder: every override
value (each value of a sweep) is composed and validated first, and the first
problem is reported on one line with exit status 2.

`--help` is Hydra's help with the template configs/hydra/help/govsim.yaml;
the lists of regimes and populations in it come from the `govsim_options`
resolver below. The model, pandas and matplotlib are imported only for a
run, so the help answers quickly.
"""

from __future__ import annotations

import json
import math
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

from omegaconf import OmegaConf

from sim.config import ConfigError, register_configs

if TYPE_CHECKING:
    from omegaconf import DictConfig

    from sim.config import SimConfig
    from sim.model import GovSimModel

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"  # as sim.api.CONFIG_DIR (not imported: pandas)
HELP_FLAGS = ("--help", "-h", "--hydra-help", "--info", "-i", "--shell-completion", "-sc")


def _first_sentence(path: Path) -> str:
    """The first sentence of a config file's leading comment (its one-line description)."""
    lines = path.read_text().splitlines()
    head = " ".join(
        ln.lstrip("#").strip() for ln in lines[: next((i for i, ln in enumerate(lines) if not ln.startswith("#")), 0)]
    )
    end = head.find(". ")
    return head[: end + 1] if end >= 0 else head


def options_help(group: str) -> str:
    """One line per option of a config group: its name (the default marked) and its description."""
    import yaml

    defaults = yaml.safe_load((CONFIG_DIR / "config.yaml").read_text()).get("defaults", [])
    default = next((d[group] for d in defaults if isinstance(d, dict) and group in d), None)
    names = {p.stem: p for p in sorted((CONFIG_DIR / group).glob("*.yaml"))}
    shown = {name: f"{name} (default)" if name == default else name for name in names}
    width = max(map(len, shown.values())) + 4
    return "\n".join(
        textwrap.fill(
            _first_sentence(path), 100, initial_indent=f"  {shown[name]:{width - 2}s}", subsequent_indent=" " * width
        )
        for name, path in names.items()
    )


def preflight(argv: list[str]) -> None:
    """Compose and validate every override value; raise ConfigError on the first bad one."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from sim.api import load_config
    from sim.memory import check_memory

    parser = OverridesParser.create()
    items = [a for a in argv if not a.startswith("-") and "=" in a and not a.lstrip("+~").startswith("hydra")]
    try:
        parsed = parser.parse_overrides(items)
    except Exception as err:  # hydra's parser raises its own error types
        raise ConfigError(f"invalid override: {str(err).splitlines()[0]}") from None
    base = [str(o.input_line) for o in parsed if not o.is_sweep_override()]
    check_memory(load_config(base))  # before Hydra makes a folder: a city that cannot fit is refused
    for o in parsed:
        if o.is_sweep_override():
            for value in o.sweep_string_iterator():
                load_config([*base, f"{o.get_key_element()}={value}"])


def summary_table(summary: dict[str, float]) -> str:
    """The headline outcomes (declared in sim/measures.py), one line each."""
    from sim.measures import HEADLINE

    lines = [f"{'outcome':36s} value", "-" * 44]
    for outcome in HEADLINE:
        value = summary.get(outcome.key, math.nan)
        lines.append(f"{outcome.label:36s} {value:7.3f}")
    return "\n".join(lines)


def run_days(model: GovSimModel, progress: bool) -> None:
    """Run the model to its horizon; with `progress`, a bar of days (tqdm) on stderr."""
    if not progress:
        model.run()
        return
    from tqdm import tqdm

    with tqdm(total=model.cfg.days, unit="day", desc="govsim", leave=False, dynamic_ncols=True) as bar:
        while model.running and model.day < model.cfg.days:
            model.run_for(1)
            bar.update(1)


def _clean(value: float) -> float | None:
    return None if isinstance(value, float) and math.isnan(value) else value


if not OmegaConf.has_resolver("govsim_options"):
    OmegaConf.register_new_resolver("govsim_options", options_help)


def simulate(sim_cfg: SimConfig, progress: bool = False):  # -> sim.api.RunResult
    """sim.api.run_simulation, with an optional progress bar (the same numbers either way)."""
    from sim.api import RunResult
    from sim.model import GovSimModel

    model = GovSimModel(sim_cfg)
    run_days(model, progress)
    return RunResult(model.recorder.summary(), model.recorder.timeseries(), sim_cfg)


def job(cfg: DictConfig) -> float:
    """One run of the Hydra app: simulate, write timeseries.csv, summary.json, overview.png, print the summary."""
    from hydra.core.hydra_config import HydraConfig

    from sim.api import to_sim_config
    from sim.plots import overview_png
    from sim.provenance import provenance, write_atomic

    sim_cfg = to_sim_config(cfg)
    out = Path(HydraConfig.get().runtime.output_dir)
    result = simulate(sim_cfg, progress=sys.stdout.isatty() and sys.stderr.isatty())
    ts = result.timeseries
    title = f"govsim: {sim_cfg.policy.name}, {sim_cfg.population.n_citizens:,} citizens, seed {sim_cfg.seed}"
    summary = {
        "outcomes": {k: _clean(v) for k, v in result.summary.items()},
        "seed": sim_cfg.seed,
        "config": OmegaConf.to_container(cfg, resolve=True),
        "provenance": provenance(),
    }
    # render everything first, so a failure leaves no partial set of files
    files = {
        "timeseries.csv": ts.to_csv(index=False),
        "overview.png": overview_png(ts, title),
        "summary.json": json.dumps(summary, indent=2, sort_keys=True) + "\n",
    }
    for name, data in files.items():
        write_atomic(out / name, data)
    print(f"\n{title}  (summary over the last {min(sim_cfg.metrics.summary_days, sim_cfg.days)} days)")
    print(summary_table(result.summary))
    print(f"outputs: {out}")
    return float(result.summary["dialogue_ratio"])


def main() -> None:
    """The Hydra app (imported here, so that `--help` does not pay for Hydra)."""
    import hydra

    register_configs()
    hydra.main(config_path=str(CONFIG_DIR), config_name="config", version_base="1.3")(job)()


def help_text() -> str:
    """The `--help` page: Hydra's help template (configs/hydra/help/govsim.yaml), resolved without composing.

    Hydra prints the same text (a test compares); this path skips its config composition and
    config-group listing, which the template does not show, so `python -m sim --help` answers at once.
    """
    help_cfg = OmegaConf.load(CONFIG_DIR / "hydra" / "help" / "govsim.yaml")
    return str(OmegaConf.create({"hydra": {"help": help_cfg}}).hydra.help.template)


def cli() -> None:
    if sys.argv[1:] in (["--help"], ["-h"]):
        print(help_text())
        return
    if any(a in HELP_FLAGS for a in sys.argv[1:]):
        main()  # Hydra prints the help (or its info) and exits: nothing to validate
        return
    try:
        preflight(sys.argv[1:])
    except ConfigError as err:
        print(f"govsim: {err}", file=sys.stderr)
        sys.exit(2)
    main()
