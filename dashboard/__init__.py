"""govsim classroom dashboard: a Mesa SolaraViz app for showing a mandate live.

Start it with `python -m dashboard` (binds to 127.0.0.1). It builds its models
with `sim.api.load_config` and `sim.model.GovSimModel`: the same configs and
rules as the command line, with no copy of any model rule here.
"""
