"""`python -m sim`: one simulation as a Hydra app (overrides, -m sweeps, launchers).

Bad input is caught before Hydra creates any output folder: every override
value (each value of a sweep) is composed and validated first, and the first
problem is reported on one line with exit status 2.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, OmegaConf

from sim.api import CONFIG_DIR, load_config, run_simulation, to_sim_config
from sim.config import ConfigError, register_configs
from sim.memory import check_memory
from sim.plots import overview_png
from sim.provenance import provenance, write_atomic

HEADLINE = (
    ("account_share", "accounts (share of agencies)"),
    ("ghost_share", "ghost share of accounts"),
    ("filler_share", "filler share of posts"),
    ("dialogue_ratio", "dialogue ratio (replies/posts)"),
    ("response_rate", "answered within 3 days"),
    ("answer_rate", "answered at all"),
    ("resolution_rate", "online requests resolved"),
    ("active_share", "connected citizens active"),
    ("top5_post_share", "posts by top 5 % of citizens"),
    ("audit_pass_rate", "audit pass rate"),
    ("real_engagement", "accounts resolving requests"),
    ("needs_met_connected", "needs met, connected"),
    ("needs_met_excluded", "needs met, excluded"),
    ("equity_gap", "equity gap (connected - excluded)"),
    ("gini_needs_met", "Gini of needs met"),
    ("mean_trust", "mean trust"),
)


def preflight(argv: list[str]) -> None:
    """Compose and validate every override value; raise ConfigError on the first bad one."""
    parser = OverridesParser.create()
    items = [a for a in argv if not a.startswith("-") and "=" in a and not a.lstrip("+~").startswith("hydra")]
    try:
        parsed = parser.parse_overrides(items)
    except Exception as err:  # hydra's parser raises its own error types
        raise ConfigError(f"invalid override: {str(err).splitlines()[0]}") from None
    base = [o.input_line for o in parsed if not o.is_sweep_override()]
    check_memory(load_config(base))  # before Hydra makes a folder: a city that cannot fit is refused
    for o in parsed:
        if o.is_sweep_override():
            for value in o.sweep_string_iterator():
                load_config([*base, f"{o.get_key_element()}={value}"])


def summary_table(summary: dict[str, float]) -> str:
    lines = [f"{'outcome':36s} value", "-" * 44]
    for key, label in HEADLINE:
        value = summary.get(key, math.nan)
        lines.append(f"{label:36s} {value:7.3f}")
    return "\n".join(lines)


def _clean(value: float) -> float | None:
    return None if isinstance(value, float) and math.isnan(value) else value


register_configs()


@hydra.main(config_path=str(CONFIG_DIR), config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> float:
    sim_cfg = to_sim_config(cfg)
    out = Path(HydraConfig.get().runtime.output_dir)
    result = run_simulation(sim_cfg)
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


def cli() -> None:
    try:
        preflight(sys.argv[1:])
    except ConfigError as err:
        print(f"govsim: {err}", file=sys.stderr)
        sys.exit(2)
    main()
