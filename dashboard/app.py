"""The classroom dashboard: a Solara app around Mesa models (`python -m dashboard`, or `solara run dashboard.app`).

One screen at 1366x768, in the spirit of NetLogo's interface tab:

- top bar: the day counter, play / pause, step, "run to day N", reset, one speed
  control in days per second, and the "building the town…" indicator;
- left column: the lesson (only "What to notice" while playing), the regime,
  the comparison regime and the levers;
- main area: monitors (key numbers of every run), then the four key plots with
  both regimes on the same axes (or the town picture), and the downloads.

Policy levers change the running town through the model's `set_lever` (from
the next day on, marked on the plots); only structural settings (regime,
comparison, citizens, seed, internet penetration) build a new town. Every
model is a ClassroomModel, i.e. a GovSimModel built by sim.api.load_config;
no model rule is copied here.
"""

from __future__ import annotations

import html
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import markdown
import solara
import solara.lab
from reacton import ipyvue
from reacton import ipyvuetify as rv
from solara.components.input import use_change

from dashboard import export
from dashboard import network as net
from dashboard.charts import REGIME_COLOURS, Marker, NetworkFigure, PlotsFigure, series
from dashboard.lessons import DEFAULT_SPEED, MAX_SPEED, Lesson, load_lessons
from dashboard.model import ClassroomModel
from dashboard.player import FRAME_S, Pace, stop_day
from dashboard.settings import LEVERS, Lever, Settings, regimes
from sim import measures
from sim.config import ConfigError

TITLE = "govsim classroom"
NONE = "(none)"
WINDOW_NOTE_DAYS = 30

# (label, how to read it off a run, format): the always-visible monitors, the accounts count and then
# the outcomes declared with `monitor=True` in sim/measures.py (shares as percentages)
MONITORS: tuple[tuple[str, str, str], ...] = (
    ("Accounts", "accounts", "count"),
    *(
        (o.label[:1].upper() + o.label[1:], o.key, "pct" if o.unit is measures.SHARE else "num")
        for o in measures.MONITORS
    ),
)

CSS = """
html, body { overflow: hidden; }
.govsim-app { display: grid; grid-template-columns: 330px minmax(0, 1fr); grid-template-rows: auto minmax(0, 1fr);
  height: 100vh; width: 100vw; overflow: hidden; background: #fff; }
.govsim-top { grid-column: 1 / 3; display: flex; align-items: center; gap: 10px; padding: 6px 12px;
  border-bottom: 1px solid #ddd; background: #f4f6f8; min-height: 54px; flex-wrap: nowrap; }
.govsim-title { font-size: 15px; font-weight: 700; color: #333; white-space: nowrap; }
.govsim-day { font-size: 26px; font-weight: 700; line-height: 1.1; white-space: nowrap; min-width: 205px; }
.govsim-top .v-btn { text-transform: none; letter-spacing: 0; font-size: 15px; }
.govsim-speed { flex: 0 0 170px; }
.govsim-speed-label { font-size: 14px; white-space: nowrap; }
.govsim-runto { flex: 0 0 84px; max-width: 84px; }
.govsim-runto input { font-size: 15px; }
.govsim-building { font-size: 15px; font-weight: 600; color: #8a5300; background: #fff3d6; border-radius: 12px;
  padding: 3px 12px; white-space: nowrap; }
.govsim-side { overflow-y: auto; padding: 8px 12px 36px 12px; border-right: 1px solid #ddd; font-size: 15px; }
.govsim-main { overflow: hidden auto; padding: 6px 12px; min-width: 0; }
.govsim-lesson { font-size: 15px; line-height: 1.35; }
.govsim-lesson h2 { font-size: 17px; margin: 10px 0 4px 0; }
.govsim-lesson p { margin: 0 0 6px 0; }
.govsim-lesson ul { list-style: disc; padding-left: 1.3em; margin: 0 0 6px 0; }
.govsim-lesson li { margin-bottom: 3px; }
.govsim-lesson strong, .govsim-lesson b { font-weight: 700; }
.govsim-lesson em { font-style: italic; }
.govsim-lesson code { background: #eef; padding: 0 3px; }
.govsim-lesson-meta { font-size: 14px; color: #555; margin: 2px 0 6px 0; }
.govsim-heading { font-weight: 700; margin-top: 10px; font-size: 15px; }
.govsim-hint { font-size: 13px; color: #555; }
.govsim-last-change { font-size: 14px; color: #0072B2; }
.govsim-lever-label { font-size: 14px; margin-bottom: -8px; }
.govsim-monitors table { border-collapse: collapse; width: 100%; font-size: 15px; }
.govsim-monitors th { font-size: 14px; font-weight: 600; color: #333; text-align: right; padding: 1px 6px;
  line-height: 1.15; vertical-align: bottom; }
.govsim-monitors td { text-align: right; padding: 2px 6px; border-top: 1px solid #e3e3e3; font-variant-numeric: tabular-nums; }
.govsim-monitors td:first-child, .govsim-monitors th:first-child { text-align: left; white-space: nowrap; }
.govsim-swatch { display: inline-block; width: 14px; height: 14px; border-radius: 3px; margin-right: 6px;
  vertical-align: -2px; }
.govsim-note { font-size: 14px; color: #8a5300; }
.govsim-toolbar { display: flex; align-items: center; gap: 10px; margin: 2px 0; }
.govsim-toolbar .v-btn { text-transform: none; letter-spacing: 0; }
img.govsim-plots { width: 1010px; max-width: 100%; height: auto; display: block; }
.govsim-networks { display: flex; gap: 10px; }
.govsim-network-box { flex: 0 1 500px; min-width: 0; }
img.govsim-network { width: 100%; max-width: 500px; height: auto; display: block; }
.govsim-caption { font-size: 14px; color: #333; }
.govsim-error { margin: 2px 0; }
/* Solara's badge: smaller, in the strip under the plots (it covered their bottom right) */
div[style*="right: 0px; bottom: 0px"] { padding: 2px 8px !important; font-size: 11px; opacity: 0.7; }
"""


def _fmt(value: Any, kind: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if kind == "pct":
        return f"{100 * value:.0f}%"
    if kind == "count":
        return str(value)
    return f"{value:.2f}"


def monitor_values(run) -> dict[str, Any]:
    """The monitors' current values of one run (the model's own outcomes of its last recorded day)."""
    last = run.recorder.latest()
    n = len(run.agency_list)
    values: dict[str, Any] = {key: last.get(key) for _, key, _ in MONITORS}
    values["accounts"] = f"{sum(a.has_account for a in run.agency_list)} of {n}"
    return values


def monitors_html(model: ClassroomModel) -> str:
    """Monitors of every run as an HTML table, with a note while the 30-day window fills."""
    labels = export.run_labels(model)
    head = "".join(f"<th>{html.escape(label)}</th>" for label, _, _ in MONITORS)
    rows = [f"<tr><th>Regime</th>{head}</tr>"]
    for r, run in enumerate(model.runs):
        values = monitor_values(run)
        swatch = f'<span class="govsim-swatch" style="background:{REGIME_COLOURS[r % 2]}"></span>'
        cells = "".join(f"<td>{html.escape(_fmt(values[key], kind))}</td>" for _, key, kind in MONITORS)
        rows.append(f"<tr><td>{swatch}{html.escape(labels[r])}</td>{cells}</tr>")
    day = model.day
    if day == 0:
        note = "Values appear from day 1: press ▶ Play or Step."
    elif day < WINDOW_NOTE_DAYS:
        note = f"Shares are over the last 30 days; the window is still filling (day {day} of 30)."
    else:
        note = ""
    note_html = f'<div class="govsim-note">{html.escape(note)}</div>' if note else ""
    return "<table>" + "".join(rows) + "</table>" + note_html


def markdown_html(text: str) -> str:
    """Lesson text to HTML on the server (solara.Markdown would fetch mermaid from a CDN)."""
    return markdown.markdown(text, extensions=["sane_lists"])


def markers(model: ClassroomModel) -> tuple[Marker, ...]:
    """Days that matter: each run's mandate deadline, and what happened (audits, hub, lever changes)."""
    out: list[Marker] = []
    deadlines: dict[int, list[int]] = {}
    for r, run in enumerate(model.runs):
        mandate = run.cfg.policy.mandate
        if mandate.share > 0:
            deadlines.setdefault(int(mandate.deadline_day), []).append(r)
    for day, who in sorted(deadlines.items()):
        colour = "#555555" if len(who) == len(model.runs) > 1 else REGIME_COLOURS[who[0] % 2]
        out.append(Marker(float(day), "mandate deadline", colour))
    for ev in model.events:
        out.append(Marker(ev.day, ev.label, REGIME_COLOURS[ev.run % 2], "audit" if ev.kind == "audit" else "line"))
    return tuple(out)


# --- what is on screen -------------------------------------------------------------


@dataclass
class Show:
    """One town on screen: the model and its figures (built together, off the page's thread)."""

    model: ClassroomModel
    plots: PlotsFigure
    networks: list[NetworkFigure]
    build_seconds: float


def build_show(settings: Settings) -> Show:
    """Build the model and its figures and draw the first frame (ConfigError if refused)."""
    t0 = time.perf_counter()
    model = ClassroomModel(settings)
    plots = PlotsFigure(model.regime_names, model.cfg.days)
    networks = [
        NetworkFigure(run, f"Regime: {name}", REGIME_COLOURS[r % 2])
        for r, (run, name) in enumerate(zip(model.runs, export.run_labels(model), strict=True))
    ]
    show = Show(model, plots, networks, 0.0)
    render_frame(show, "plots")  # draws the static parts now, not on the page's first frame
    show.build_seconds = time.perf_counter() - t0
    return show


@dataclass
class Frame:
    day: int
    plots: bytes | None
    networks: list[bytes]
    captions: list[str]
    monitors: str


def render_frame(show: Show, view: str) -> Frame:
    """Draw the current day (under the model's lock: never half a day)."""
    m = show.model
    with m.lock:
        datas = [series(run) for run in m.runs]
        plots = show.plots.render(datas, markers(m)) if view == "plots" else None
        networks, captions = [], []
        if view == "town":
            for fig, run in zip(show.networks, m.runs, strict=True):
                png, snap = fig.render(run)
                networks.append(png)
                captions.append(net.describe(snap.counts))
        return Frame(m.day, plots, networks, captions, monitors_html(m))


def plots_png(show: Show) -> bytes:
    """The current plots in full colour (the PNG download)."""
    m = show.model
    with m.lock:
        datas = [series(run) for run in m.runs]
        return show.plots.render(datas, markers(m), palette=False)


# --- controls ------------------------------------------------------------------------


@solara.component
def LeverSlider(lever: Lever, value: float, on_value: Callable[[Any], None]):
    """A slider applied when released or moved with the arrow keys (a drag is one change, one marker)."""
    shown = solara.use_reactive(float(value))
    last = solara.use_ref(float(value))

    def apply(*_args) -> None:
        new = round(float(shown.value), 6)
        if new != last.current:
            last.current = new
            on_value(new)

    solara.Text(f"{lever.label}: {shown.value:g}", classes=["govsim-lever-label"])
    slider = rv.Slider(
        v_model=shown.value,
        on_v_model=lambda v: shown.set(float(v)),
        min=lever.lo,
        max=lever.hi,
        step=lever.step,
        thumb_label=True,
        hide_details=True,
        density="compact",
        class_=_css_name(lever.key),
    )
    ipyvue.use_event(slider, "end", apply)
    ipyvue.use_event(slider, "keyup", apply)


@solara.component
def IntField(label: str, value: int, on_value: Callable[[int], None], classes: list[str], dense: bool = True):
    """A whole-number field applied on Enter or leaving it; what is typed survives the redraws while playing.

    (solara.InputInt keeps the typed text only in the browser, so every frame of a playing town reset it.)
    """
    text = solara.use_reactive(str(value))
    error = solara.use_reactive(None)
    last = solara.use_ref(value)

    def commit(raw: Any) -> None:
        try:
            number = int(str(raw).strip())
        except ValueError:
            error.set("Value must be an integer")
            return
        error.set(None)
        if number != last.current:
            last.current = number
            on_value(number)

    field = rv.TextField(
        v_model=text.value,
        on_v_model=lambda v: text.set("" if v is None else str(v)),
        label=label + (f" ({error.value})" if error.value else ""),
        error=bool(error.value),
        density="compact" if dense else "default",
        hide_details="auto",
        class_=" ".join(classes),
    )
    use_change(field, commit)


@solara.component
def LeverInput(lever: Lever, value: Any, on_value: Callable[[Any], None]):
    if lever.kind == "select":
        solara.Select(lever.label, values=list(lever.choices), value=value, on_value=on_value, dense=True)
    elif lever.kind == "bool":
        solara.Checkbox(label=lever.label, value=bool(value), on_value=on_value)
    elif lever.kind == "int":
        IntField(lever.label, int(value), on_value, [_css_name(lever.key)])
    else:
        LeverSlider(lever, float(value), on_value)
    if lever.hint:
        solara.Text(lever.hint, classes=["govsim-hint"])


def _css_name(key: str) -> str:
    return "govsim-lever-" + key.replace(".", "-").replace("_", "-")


@solara.component
def LessonPanel(lesson: Lesson | None, playing: bool):
    full = solara.use_memo(lambda: markdown_html(lesson.text) if lesson else "", [lesson])
    notice = solara.use_memo(lambda: markdown_html(lesson.section("What to notice")) if lesson else "", [lesson])
    if lesson is None:
        solara.Text("Pick a lesson, or set the regime and levers yourself, then press ▶ Play.", classes=["govsim-hint"])
        return
    target = f", run to day {lesson.run_to} (about {lesson.run_to / lesson.speed:.0f} s)" if lesson.run_to else ""
    solara.Text(f"Speed {lesson.speed} days/s{target}", classes=["govsim-lesson-meta"])
    if playing and notice:  # while the town runs, only what to look at
        solara.HTML(tag="div", unsafe_innerHTML="<h2>What to notice</h2>" + notice, classes=["govsim-lesson"])
    else:
        with solara.Details(summary=f"Lesson: {lesson.title}", expand=True):
            solara.HTML(tag="div", unsafe_innerHTML=full, classes=["govsim-lesson"])


# --- the page ------------------------------------------------------------------------


def _warm_up() -> None:
    """Compose the lessons' configs, draw one town and step it once while the server waits for its first
    visitor: the step loads the model's compiled kernels (compiling them on a fresh install, a few seconds)."""
    load_lessons()
    build_show(Settings()).model.step()


if "SOLARA_APP" in os.environ:  # imported by the server at start-up (not by tests or the bench)
    threading.Thread(target=_warm_up, name="govsim-warm-up", daemon=True).start()


@solara.component
def Layout(children=()):
    # the page is its own frame (no Solara app bar): everything on one screen
    return solara.Div(children=list(children))


@solara.component
def Page():
    lessons, problems = solara.use_memo(load_lessons, [])
    settings = solara.use_reactive(Settings())  # what the town is (or is being) built from, incl. lever values
    serial = solara.use_reactive(0)  # bumped for every rebuild request
    show = solara.use_reactive(None)  # Show on screen
    playing = solara.use_reactive(False)
    stop_at = solara.use_reactive(None)  # run-to target of the current play, or None
    speed = solara.use_reactive(DEFAULT_SPEED)
    run_to = solara.use_reactive(365)
    tick = solara.use_reactive(0)  # bumped by the play loop: redraw
    refused = solara.use_reactive(None)  # one-line message of the last refused entry
    accepted = solara.use_reactive(0)  # accepted changes, to redraw lever fields with the values in force
    view = solara.use_reactive("plots")
    drawn = solara.use_memo(threading.Event, [])
    drawn.clear()  # the play loop waits for this render pass to finish...
    solara.use_effect(drawn.set)  # ...which is when effects run (no dependencies: every pass)

    wanted = solara.use_reactive(None)  # Settings of a requested rebuild, until it is on screen or refused
    last_change = solara.use_reactive("")  # the last lever changed mid-run, as a line under the levers' heading

    def build():
        mine, new = serial.value, wanted.value or settings.value
        try:  # validated here, not in the click: the indicator shows at once
            fresh, problem = build_show(new), None
        except ConfigError as err:  # refused: the town on screen stays as it was
            fresh, problem = None, str(err)
        if serial.value != mine:  # a newer request came in meanwhile: its build wins
            return
        if fresh is not None:
            # each set redraws: the fields first (they show the values in force), the new town last
            accepted.set(accepted.value + 1)
            settings.set(new)
            show.set(fresh)
            last_change.set("")
        else:
            # the fields stay as they are (the refused entry stays in its field, next to the message):
            # recreating them now could swallow what the teacher types next
            refused.set(problem)
        wanted.set(None)

    building = solara.lab.use_task(build, dependencies=[serial.value], prefer_threaded=True)
    busy = building.pending or wanted.value is not None

    loops = solara.use_memo(lambda: [0], [])  # generation of the play loop: only the latest one steps

    def play_loop():
        loops[0] += 1
        mine, current = loops[0], show.value
        if not playing.value or current is None:
            return
        m = current.model
        pace = Pace(speed.value, time.monotonic(), m.day)
        while playing.value and show.value is current and loops[0] == mine:
            frame_start = time.monotonic()
            if speed.value != pace.speed:
                pace.restart(frame_start, m.day, speed.value)
            end = stop_day(m.day, m.cfg.days, stop_at.value)
            n = min(pace.due(frame_start, m.day), end - m.day)
            if n > 0:
                m.advance(n)
            done = m.day >= end
            if done:
                playing.set(False)
                stop_at.set(None)
            drawn.clear()
            tick.set(tick.value + 1)
            drawn.wait(2.0)  # bounded: a redraw that failed must not stop the run
            if done:
                return
            time.sleep(max(FRAME_S - (time.monotonic() - frame_start), pace.wait(time.monotonic(), m.day), 0.0))

    solara.lab.use_task(play_loop, dependencies=[playing.value, show.value], prefer_threaded=True)

    current: Show | None = show.value
    s = settings.value
    lesson = next((le for le in lessons if le.name == s.lesson), None)

    # --- changes ---------------------------------------------------------
    def rebuild(new: Settings) -> None:
        refused.set(None)
        playing.set(False)
        wanted.set(new)
        serial.set(serial.value + 1)

    def change_lever(lever: Lever, value: Any) -> None:
        new = s.with_value(lever.key, value)
        if not lever.mid_run or current is None or busy:
            rebuild(new)
            return
        try:
            current.model.apply_lever(lever.key, value, both=lever.scope == "town")
        except ConfigError as err:
            refused.set(str(err))
            return
        refused.set(None)
        settings.set(new)  # the fields are not recreated: the changed one shows its value already
        tick.set(tick.value + 1)  # the marker shows at once, also when paused
        event = current.model.events[-1]
        last_change.set(f"Last change: day {event.day:g}, {event.label}")

    def pick_lesson(title: str) -> None:
        chosen = next((le for le in lessons if le.title == title), None)
        if chosen is None:
            rebuild(Settings(s.policy, s.compare, None, s.overrides))
            return
        rebuild(chosen.settings())  # a lesson's settings were checked when it was loaded
        speed.set(chosen.speed)
        if chosen.run_to:
            run_to.set(chosen.run_to)

    def play(target: int | None) -> None:
        if current is None or current.model.finished:
            return
        stop_at.set(target)
        playing.set(True)

    def step() -> None:
        if current is not None and not playing.value:
            current.model.advance(1)
            tick.set(tick.value + 1)

    # --- frame -----------------------------------------------------------
    frame = solara.use_memo(
        lambda: render_frame(current, view.value) if current is not None else None,
        [current, tick.value, view.value],
    )

    with solara.Div(classes=["govsim-app"]):
        solara.Style(CSS)
        solara.Title(TITLE)
        TopBar(current, frame, playing, speed, run_to, busy, play, step, lambda: rebuild(s))
        with solara.Div(classes=["govsim-side"]):
            SidePanel(
                s,
                current,
                lessons,
                problems,
                lesson,
                playing.value,
                accepted.value,
                rebuild,
                change_lever,
                pick_lesson,
                last_change.value,
            )
        with solara.Div(classes=["govsim-main"]):
            MainArea(current, frame, view, refused)


@solara.component
def TopBar(current, frame, playing, speed, run_to, building: bool, play, step, reset):
    m = current.model if current is not None else None
    with solara.Div(classes=["govsim-top"]):
        solara.Text(TITLE, classes=["govsim-title"])
        day = frame.day if frame is not None else 0
        solara.Text(f"Day {day} of {m.cfg.days}" if m is not None else "Day –", classes=["govsim-day"])
        finished = m is None or m.finished
        if playing.value:
            solara.Button("❚❚ Pause", color="primary", on_click=lambda: playing.set(False), classes=["govsim-pause"])
        else:
            solara.Button("▶ Play", color="primary", on_click=lambda: play(None), disabled=finished or building)
        solara.Button("Step", on_click=step, disabled=playing.value or finished or building)
        solara.Button(
            f"Run to day {run_to.value}",
            on_click=lambda: play(run_to.value),
            disabled=playing.value or finished or building or (m is not None and run_to.value <= m.day),
            classes=["govsim-runto-button"],
        )
        IntField("day", run_to.value, run_to.set, ["govsim-runto"]).key(f"run-to:{run_to.value}")
        solara.Button("Reset", on_click=reset, disabled=building)
        with solara.Div(classes=["govsim-speed"]):
            solara.SliderInt("", value=speed, min=1, max=MAX_SPEED, step=1, thumb_label=True)
        solara.Text(f"Speed: {speed.value} days/s", classes=["govsim-speed-label"])
        if building or m is None:
            solara.Text("Building the town…", classes=["govsim-building"])


@solara.component
def SidePanel(
    s: Settings, current, lessons, problems, lesson, playing, accepted, rebuild, change_lever, pick_lesson, last_change
):
    titles = [le.title for le in lessons]
    solara.Select("Lesson", values=[NONE, *titles], value=lesson.title if lesson else NONE, on_value=pick_lesson)
    for problem in problems:
        solara.Warning(problem, dense=True)
    LessonPanel(lesson, playing)
    solara.Select(
        "Regime (builds a new town)",
        values=regimes(),
        value=s.policy,
        on_value=lambda v: rebuild(_without_lesson(s.with_policy(v))),
    )
    solara.Select(
        "Compare with (same town, same seed)",
        values=[NONE, *regimes()],
        value=s.compare or NONE,
        on_value=lambda v: rebuild(_without_lesson(s.with_compare(None if v == NONE else v))),
    )
    cfg = current.model.cfg if current is not None else s.config()
    headings = {
        "policy": "Policy levers: act from the next day on" + (" (left regime)" if s.compare else ""),
        "town": "The town" + (" (both regimes)" if s.compare else ""),
    }
    scope = None
    for lever in LEVERS:
        if lever.scope != scope:
            scope = lever.scope
            solara.Text(headings[scope], classes=["govsim-heading"])
            if scope == "policy" and last_change:
                solara.Text(last_change, classes=["govsim-last-change"])
        # keyed by the count of rebuilds: a new town's fields show its values in force
        LeverInput(lever, s.value(lever.key, cfg), lambda v, lever=lever: change_lever(lever, v)).key(
            f"{lever.key}:{accepted}"
        )
        if lever.scope == "town" and lever.mid_run:
            solara.Text("acts from the next day on", classes=["govsim-hint"])
    solara.Text(
        "Internet penetration, citizens, seed and the regime build a new town at day 0; "
        "Reset does the same with the current values.",
        classes=["govsim-hint"],
    )


def _without_lesson(s: Settings) -> Settings:
    """Another regime: the lesson no longer describes the town on screen."""
    return Settings(s.policy, s.compare, None, s.overrides)


@solara.component
def MainArea(current, frame, view, refused):
    if refused.value:
        solara.Error(
            f"Refused: {refused.value}. The town keeps its previous value.",
            classes=["govsim-error"],
            dense=True,
            text=True,
        )
    if current is None or frame is None:
        return
    solara.HTML(tag="div", unsafe_innerHTML=frame.monitors, classes=["govsim-monitors"])
    m = current.model
    with solara.Div(classes=["govsim-toolbar"]):
        solara.ToggleButtonsSingle(value=view, values=["plots", "town"], dense=True)
        stem = export.file_stem(m)
        solara.FileDownload(
            lambda: export.timeseries_csv(m),
            filename=f"{stem}.csv",
            label="Download CSV (one row per day)",
            mime_type="text/csv",
        )
        solara.FileDownload(
            lambda: plots_png(current), filename=f"{stem}.png", label="Download plots (PNG)", mime_type="image/png"
        )
    if frame.plots is not None:
        solara.Image(frame.plots, classes=["govsim-plots"])
    else:
        with solara.Div(classes=["govsim-networks"]):
            for png, caption in zip(frame.networks, frame.captions, strict=True):
                with solara.Div(classes=["govsim-network-box"]):
                    solara.Image(png, classes=["govsim-network"])
                    solara.Text(caption, classes=["govsim-caption"])
