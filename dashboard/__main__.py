"""`python -m dashboard`: start the classroom dashboard on http://127.0.0.1:8521/."""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys

from dashboard import assets, server
from dashboard.lessons import ENV_VAR


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard", description=__doc__)
    parser.add_argument("--host", default=server.DEFAULT_HOST, help="address to bind (default: localhost only)")
    parser.add_argument("--port", type=int, default=server.DEFAULT_PORT)
    parser.add_argument("--lessons", action="append", default=[], metavar="DIR", help="extra lesson folder")
    parser.add_argument("--fetch-assets", action="store_true", help="only fetch the browser files (npm), then exit")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("solara") is None:
        print(
            'govsim dashboard: Solara is not installed; install the dashboard with: pip install -e ".[dashboard]"',
            file=sys.stderr,
        )
        return 2
    ok = assets.ensure()
    if args.fetch_assets:
        return 0 if ok else 1
    extra = {}
    if args.lessons:
        extra[ENV_VAR] = os.pathsep.join([*filter(None, os.environ.get(ENV_VAR, "").split(os.pathsep)), *args.lessons])
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"govsim dashboard: listening on {args.host}: anyone on this network can open it", file=sys.stderr)
    print(f"govsim dashboard: http://{args.host}:{args.port}/  (Ctrl-C to stop)")
    try:
        return subprocess.call(server.command(args.host, args.port), env=server.environment(extra))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
