"""Lessons: a preset plus a short text in the style of a NetLogo Info tab.

Each lesson is one Markdown file in dashboard/lessons/ (or in a folder named
by the GOVSIM_LESSONS environment variable, or `python -m dashboard --lessons DIR`)
with a YAML header giving the preset:

    ---
    title: What a posting quota does
    order: 1
    regime: quota            # a file name in configs/policy/
    compare: laissez_faire   # optional: a second regime on the same town
    overrides:               # optional: any config key, as on the command line
      seed: 3
    speed: 25                # optional: days per second when played (default 10)
    run_to: 730              # optional: the day the lesson's point is visible ("Run to day 730")
    ---
    ## What is it?  ## What to do  ## What to notice  ## Try next

A teacher adds a lesson by adding a file; no code changes. A file that does
not parse or asks for a value the model refuses is skipped with a message.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from dashboard.settings import Settings, regimes
from sim.config import ConfigError

LESSON_DIR = Path(__file__).resolve().parent / "lessons"
ENV_VAR = "GOVSIM_LESSONS"
DEFAULT_SPEED = 10  # days per second
MAX_SPEED = 60
HEADER_KEYS = {"title", "order", "regime", "compare", "overrides", "speed", "run_to"}


@dataclass(frozen=True)
class Lesson:
    name: str  # file stem, unique
    title: str
    order: int
    regime: str
    compare: str | None
    overrides: tuple[tuple[str, Any], ...]
    text: str  # Markdown body
    speed: int = DEFAULT_SPEED  # days per second
    run_to: int | None = None  # the day the lesson's point is visible

    def settings(self) -> Settings:
        return Settings(policy=self.regime, compare=self.compare, lesson=self.name, overrides=self.overrides)

    def section(self, heading: str) -> str:
        """The Markdown of one '## heading' section (empty if the lesson has none)."""
        for part in ("\n" + self.text).split("\n## ")[1:]:
            title, _, body = part.partition("\n")
            if title.strip().rstrip("?").lower() == heading.rstrip("?").lower():
                return body.strip()
        return ""


def parse_lesson(path: Path) -> Lesson:
    """Read one lesson file; ValueError (one line) if it is malformed or refused by the model."""
    raw = path.read_text(encoding="utf-8")
    if not raw.startswith("---"):
        raise ValueError(f"{path.name}: must start with a '---' YAML header")
    try:
        _, header, body = raw.split("---", 2)
        meta = yaml.safe_load(header) or {}
    except (ValueError, yaml.YAMLError) as err:
        raise ValueError(f"{path.name}: unreadable header ({str(err).splitlines()[0]})") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{path.name}: the header must be 'key: value' lines")
    unknown = set(meta) - HEADER_KEYS
    if unknown:
        raise ValueError(f"{path.name}: unknown header keys {sorted(unknown)}")
    known = regimes()
    for field in ("regime", "compare"):
        value = meta.get(field)
        if value is not None and value not in known:
            raise ValueError(f"{path.name}: {field}={value!r}; allowed: {' | '.join(known)}")
    overrides = meta.get("overrides") or {}
    if not isinstance(overrides, dict):
        raise ValueError(f"{path.name}: overrides must be 'config.key: value' lines")
    speed, run_to = meta.get("speed", DEFAULT_SPEED), meta.get("run_to")
    if not isinstance(speed, int) or isinstance(speed, bool) or not 1 <= speed <= MAX_SPEED:
        raise ValueError(f"{path.name}: speed={speed!r}; allowed: a whole number of days per second, 1-{MAX_SPEED}")
    if run_to is not None and (not isinstance(run_to, int) or isinstance(run_to, bool) or run_to < 1):
        raise ValueError(f"{path.name}: run_to={run_to!r}; allowed: a day >= 1")
    lesson = Lesson(
        name=path.stem,
        title=str(meta.get("title") or path.stem.replace("_", " ")),
        order=int(meta.get("order", 100)),
        regime=meta.get("regime") or "quota",
        compare=meta.get("compare"),
        overrides=tuple((str(k), v) for k, v in overrides.items()),
        text=body.strip(),
        speed=speed,
        run_to=run_to,
    )
    try:
        cfg, _ = lesson.settings().configs()
    except ConfigError as err:
        raise ValueError(f"{path.name}: {err}") from None
    if run_to is not None and run_to > cfg.days:
        raise ValueError(f"{path.name}: run_to={run_to}; allowed: a day <= days={cfg.days}")
    return lesson


def lesson_dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p]
    return [LESSON_DIR, *extra]


def load_lessons(dirs: list[Path] | None = None) -> tuple[list[Lesson], list[str]]:
    """All lessons, in teaching order, and one message per skipped file."""
    lessons: dict[str, Lesson] = {}
    problems: list[str] = []
    for folder in dirs if dirs is not None else lesson_dirs():
        if not folder.is_dir():
            problems.append(f"lesson folder {folder} not found")
            continue
        for path in sorted(folder.glob("*.md")):
            try:
                lesson = parse_lesson(path)
            except (OSError, ValueError) as err:
                problems.append(str(err))
                continue
            lessons[lesson.name] = lesson  # a teacher's file may replace a shipped one
    return sorted(lessons.values(), key=lambda le: (le.order, le.title)), problems
