"""govsim: citizens and government agencies on government microblogs (agent-based)."""

from sim.api import RunResult, load_config, run_simulation
from sim.config import ConfigError, SimConfig
from sim.model import GovSimModel

__all__ = ["ConfigError", "GovSimModel", "RunResult", "SimConfig", "load_config", "run_simulation"]
