"""Starting the dashboard's server: the launcher, the browser tests and the speed check share this."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

APP = "dashboard.app"
DEFAULT_HOST = "127.0.0.1"  # localhost only unless the teacher asks for more
DEFAULT_PORT = 8521


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")  # no calls home from a classroom
    env.update(extra or {})
    return env


def command(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> list[str]:
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        APP,
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
    ]


def free_port(host: str = DEFAULT_HOST) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def start(host: str = DEFAULT_HOST, port: int | None = None, log=None) -> tuple[subprocess.Popen, str]:
    """Start the server in a subprocess; returns it and its URL once it answers."""
    port = port or free_port(host)
    proc = subprocess.Popen(
        command(host, port), env=environment(), stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    url = f"http://{host}:{port}/"
    try:
        wait_ready(url, proc)
    except BaseException:
        stop(proc)
        raise
    return proc, url


def wait_ready(url: str, proc: subprocess.Popen | None = None, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"dashboard server exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise TimeoutError(f"dashboard server did not answer at {url} within {timeout:.0f} s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch_chromium(playwright):
    """Debian's Chromium driven by PyPI playwright (playwright's own browser download cannot work offline)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
