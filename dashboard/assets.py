"""The browser files a Solara page loads from its CDN proxy, fetched ahead of time with npm.

Solara serves its front end (Vuetify app, RequireJS, Font Awesome) through
`/_solara/cdn/`, a proxy that downloads each file from a public CDN on first
use and caches it in `solara.server.settings.assets.proxy_cache_dir`. A
classroom (or CI machine) without that CDN gets a blank page. `ensure()` fills
the cache from the npm registry instead (`npm pack`, the ordinary client), so
the dashboard works offline after one run of `python -m dashboard --fetch-assets`.
The package versions are read from Solara's own page template, so they follow
Solara upgrades.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

_SPEC = re.compile(r"\{\{cdn\}\}/((?:@[\w.-]+/)?[\w.-]+@\d+\.\d+\.\d+[\w.-]*)/")


def cache_dir() -> Path:
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def needed() -> list[str]:
    """npm package specs (name@version) that Solara's page template loads through its CDN proxy."""
    import solara
    from solara.server import server, settings

    template = Path(solara.__file__).parent / "server" / "templates" / "solara.html.j2"
    specs = set(_SPEC.findall(template.read_text(encoding="utf-8")))
    unused = "@widgetti/solara-vuetify-app@" if server.vue3 else "@widgetti/solara-vuetify3-app@"
    specs = {s for s in specs if not s.startswith(unused)}
    if settings.assets.fontawesome_enabled:
        specs.add(settings.assets.fontawesome_path.strip("/").split("/")[0])
    return sorted(specs)


def missing(specs: list[str] | None = None) -> list[str]:
    root = cache_dir()
    return [s for s in (specs if specs is not None else needed()) if not (root / s / "package.json").is_file()]


def fetch(specs: list[str], timeout: float = 300.0) -> None:
    """`npm pack` each package and unpack it where Solara's CDN proxy looks first."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm not found (Debian: apt-get install npm)")
    root = cache_dir()
    with tempfile.TemporaryDirectory() as tmp:
        for spec in specs:
            out = subprocess.run(
                [npm, "pack", spec, "--pack-destination", tmp, "--silent"],
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
            if out.returncode != 0:
                raise RuntimeError(f"npm pack {spec} failed: {out.stderr.strip().splitlines()[-1:]}")
            tarball = Path(tmp) / out.stdout.strip().splitlines()[-1]
            dest = root / spec
            staging = Path(tempfile.mkdtemp(dir=tmp))
            with tarfile.open(tarball) as tar:
                tar.extractall(staging, filter="data")
            if dest.exists():
                shutil.rmtree(dest)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(staging / "package"), dest)


def ensure(verbose: bool = True) -> bool:
    """True if every file the page needs is in the cache (fetching what is missing with npm)."""
    todo = missing()
    if not todo:
        return True
    if verbose:
        print(f"govsim dashboard: fetching browser files with npm: {', '.join(todo)}")
    try:
        fetch(todo)
    except (RuntimeError, OSError, subprocess.SubprocessError) as err:
        if verbose:
            print(f"govsim dashboard: could not fetch them ({err}); Solara will try its CDN when the page opens")
        return False
    return True
