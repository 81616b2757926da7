"""The classroom dashboard: a Mesa SolaraViz app (`python -m dashboard`, or `solara run dashboard.app`).

Mesa's SolaraViz gives the page frame and the play / pause / step / reset
controls; the sidebar card "Lesson and levers" sets the regime, the
comparison regime and the levers; the main area shows the live plots, the
network picture, the key numbers and the lesson text. Every model is a
ClassroomModel, i.e. a GovSimModel built by sim.api.load_config.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import markdown
import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from dashboard import network as net
from dashboard.charts import NetworkFigure, PlotsFigure, posts_ceiling, series
from dashboard.lessons import Lesson, load_lessons
from dashboard.model import ClassroomModel
from dashboard.settings import LEVERS, Lever, Settings, regimes
from sim.config import ConfigError
from sim.model import GovSimModel

TITLE = "govsim classroom: government microblogs, live"
PLAY_INTERVAL_MS = 30
NONE = "(none)"

KEY_NUMBERS: tuple[tuple[str, str, str], ...] = (
    ("filler_share", "Filler share of posts", "pct"),
    ("dialogue_ratio", "Replies per post", "num"),
    ("response_rate", "Requests answered within 3 days", "pct"),
    ("misrouted_share", "Requests sent to the wrong agency", "pct"),
    ("needs_met_connected", "Needs met: connected citizens", "pct"),
    ("needs_met_excluded", "Needs met: excluded citizens", "pct"),
    ("mean_trust", "Mean trust in government (0-1)", "num"),
    ("audit_pass_rate", "Audit pass rate (what the authority sees)", "pct"),
)

CSS = """
.govsim-day { font-size: 30px; font-weight: 700; line-height: 1.2; }
.govsim-sub { font-size: 16px; color: #555; }
.govsim-figure { width: 100%; height: auto; }
.govsim-caption { font-size: 14px; color: #333; }
.govsim-lesson { max-height: 34vh; overflow-y: auto; }
.govsim-lesson h2 { font-size: 18px; margin-top: 10px; }
.govsim-lesson p, .govsim-lesson li { font-size: 15px; }
.govsim-keys table { font-size: 15px; }
.govsim-keys table { border-collapse: collapse; }
.govsim-keys td, .govsim-keys th { padding: 3px 14px; text-align: right; border-bottom: 1px solid #e3e3e3; }
.govsim-keys td:first-child, .govsim-keys th:first-child { text-align: left; }
/* Mesa's "Model Parameters" card is empty here: the levers live in "Lesson and levers" */
.v-navigation-drawer .v-card:has(> .v-card-text > .v-sheet:empty) { display: none; }
"""


def _fmt(value: float, kind: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{100 * value:.0f}%" if kind == "pct" else f"{value:.2f}"


def key_numbers_html(runs: list[GovSimModel]) -> str:
    """The latest 30-day outcomes of each run, as an HTML table."""
    head = "".join(f"<th>{html.escape(r.cfg.policy.name)}</th>" for r in runs)
    rows = [f"<tr><th>Key numbers, last 30 days</th>{head}</tr>"]
    for key, label, kind in KEY_NUMBERS:
        cells = "".join(f"<td>{_fmt(r.recorder.rows[-1][key], kind) if r.recorder.rows else '–'}</td>" for r in runs)
        rows.append(f"<tr><td>{html.escape(label)}</td>{cells}</tr>")
    return "<table>" + "".join(rows) + "</table>"


def markdown_html(text: str) -> str:
    """Lesson text to HTML on the server (solara.Markdown would fetch mermaid from a CDN)."""
    return markdown.markdown(text, extensions=["sane_lists"])


@dataclass
class RunView:
    """The figures of one run on screen (created once per model)."""

    model: GovSimModel
    plots: PlotsFigure
    network: NetworkFigure


def make_views(model: ClassroomModel) -> list[RunView]:
    """Figures for each run (the layout is read off the model: hold its lock)."""
    views = []
    with model.lock:
        runs = model.runs
    for run in runs:
        title = f"Regime: {run.cfg.policy.name}"
        views.append(
            RunView(
                run,
                PlotsFigure(run.cfg.days, title),
                NetworkFigure(run, title),
            )
        )
    return views


@dataclass
class Frame:
    plots: bytes
    network: bytes
    caption: str


def render_frames(model: ClassroomModel, views: list[RunView]) -> list[Frame]:
    """Draw the current day of every run (paired runs share the posts axis)."""
    with model.lock:  # not while Mesa's play thread is inside a step
        datas = [series(v.model) for v in views]
        top = posts_ceiling(datas)
        frames = []
        for view, data in zip(views, datas, strict=True):
            network_png, snap = view.network.render(view.model)
            frames.append(Frame(view.plots.render(data, top), network_png, net.describe(snap.counts)))
    return frames


# --- sidebar: lesson and levers -----------------------------------------------


@solara.component
def LeverInput(lever: Lever, value: Any, on_value: Callable[[Any], None]):
    if lever.kind == "select":
        solara.Select(lever.label, values=list(lever.choices), value=value, on_value=on_value)
    elif lever.kind == "bool":
        solara.Checkbox(label=lever.label, value=bool(value), on_value=on_value)
    elif lever.kind == "int":
        solara.InputInt(lever.label, value=int(value), on_value=on_value, classes=[_css_name(lever.key)])
    else:
        solara.Text(f"{lever.label}: {float(value):g}", style={"font-size": "14px", "margin-bottom": "-6px"})
        solara.SliderFloat(
            "",
            value=float(value),
            min=lever.lo,
            max=lever.hi,
            step=lever.step,
            on_value=lambda v: on_value(round(float(v), 6)),
        )
    if lever.hint:
        solara.Text(lever.hint, style={"font-size": "12px", "color": "#666"})


def _css_name(key: str) -> str:
    return "govsim-lever-" + key.replace(".", "-").replace("_", "-")


@solara.component
def LeverPanel(
    settings: solara.Reactive[Settings],
    model: solara.Reactive[ClassroomModel],
    lessons: list[Lesson],
    problems: list[str],
):
    """Pick a lesson, a regime, a comparison and the levers; every accepted change restarts the town."""
    refused = solara.use_reactive(None)  # (control, one-line message) of the last refused entry
    accepted = solara.use_reactive(0)  # changes counted, to show the values in force after each one
    s = settings.value
    cfg = model.value.cfg

    def apply(new: Settings, control: str) -> None:
        try:
            fresh = ClassroomModel(new)
        except ConfigError as err:
            refused.set((control, str(err)))
            return
        refused.set(None)
        settings.set(new)
        model.set(fresh)
        accepted.set(accepted.value + 1)

    def refusal(control: str) -> None:
        if refused.value is not None and refused.value[0] == control:
            solara.Error(
                f"Refused: {refused.value[1]}. The town keeps its previous value.",
                classes=["govsim-error"],
                dense=True,
            )

    by_title = {le.title: le for le in lessons}
    current = next((le.title for le in lessons if le.name == s.lesson), NONE)

    def pick_lesson(title: str) -> None:
        if title in by_title:
            apply(by_title[title].settings(), "lesson")
        else:
            apply(Settings(s.policy, s.compare, None, s.overrides), "lesson")

    with solara.Card("Lesson and levers", classes=["govsim-levers"]):
        solara.Select("Lesson", values=[NONE, *by_title], value=current, on_value=pick_lesson)
        for problem in problems:
            solara.Warning(problem, dense=True)
        solara.Select("Regime", values=regimes(), value=s.policy, on_value=lambda v: apply(s.with_policy(v), "policy"))
        solara.Select(
            "Compare with (same town, same seed)",
            values=[NONE, *regimes()],
            value=s.compare or NONE,
            on_value=lambda v: apply(s.with_compare(None if v == NONE else v), "compare"),
        )
        refusal("lesson")
        refusal("policy")
        refusal("compare")
        headings = {
            "policy": "Policy levers" + (" (left town; the right one runs its preset)" if s.compare else ""),
            "town": "The town" + (" (both sides)" if s.compare else ""),
        }
        scope = None
        for lever in LEVERS:
            if lever.scope != scope:
                scope = lever.scope
                solara.Text(headings[scope], style={"font-weight": "600", "margin-top": "8px"})
            # keyed by the count of accepted changes: a refused entry stays visible in its field
            # (next to the message) until the next accepted change redraws every field
            LeverInput(lever, s.value(lever.key, cfg), lambda v, key=lever.key: apply(s.with_value(key, v), key)).key(
                f"{lever.key}:{accepted.value}"
            )
            refusal(lever.key)
        solara.Text(
            "Changing a control restarts the town at day 0. Reset does the same with the current values.",
            style={"font-size": "12px", "color": "#666", "margin-top": "8px"},
        )


@solara.component
def LeverSidebar(settings, model, lessons, problems):
    # solara orders sidebar content by component depth: one level below SolaraViz's
    # own sidebar keeps Mesa's play / step / reset card on top, where a teacher looks first
    _SidebarBelowControls(settings, model, lessons, problems)


@solara.component
def _SidebarBelowControls(settings, model, lessons, problems):
    with solara.Sidebar():
        LeverPanel(settings, model, lessons, problems)


# --- main area -----------------------------------------------------------------


@solara.component
def LessonText(lesson: Lesson | None):
    text = solara.use_memo(lambda: markdown_html(lesson.text) if lesson else "", [lesson])
    if lesson is None:
        solara.Info(
            "Pick a lesson in the sidebar (Lesson and levers), or set the levers yourself, then press ▶.",
            dense=True,
        )
        return
    with solara.Details(summary=f"Lesson: {lesson.title}", expand=True):
        solara.HTML(tag="div", unsafe_innerHTML=text, classes=["govsim-lesson"])


@solara.component
def Dashboard(model: ClassroomModel, lessons: list[Lesson]):
    update_counter.get()  # Mesa bumps this after every step: redraw
    model.display_idle.clear()  # hold the play loop until this render pass is done...
    solara.use_effect(model.display_idle.set)  # ...which is when effects run (no dependencies: every pass)
    views = solara.use_memo(lambda: make_views(model), [model])
    frames = solara.use_memo(lambda: render_frames(model, views), [views, model.day, update_counter.value])
    lesson = next((le for le in lessons if le.name == model.settings.lesson), None)
    names = " vs ".join(model.regime_names)

    with solara.Column(gap="8px", style={"padding": "4px 12px"}):
        with solara.Row(style={"align-items": "baseline"}, gap="24px"):
            solara.Text(f"Day {model.day} of {model.cfg.days}", classes=["govsim-day"])
            solara.Text(
                f"{names} · {model.cfg.population.n_citizens:,} citizens · seed {model.cfg.seed}",
                classes=["govsim-sub"],
            )
        LessonText(lesson)
        if len(frames) == 1:
            with solara.Columns([11, 10]):
                solara.Image(frames[0].plots, classes=["govsim-figure", "govsim-plots"])
                with solara.Column(gap="2px"):
                    solara.Image(frames[0].network, classes=["govsim-figure", "govsim-network"])
                    solara.Text(frames[0].caption, classes=["govsim-caption"])
        else:
            with solara.Columns([1, 1]):
                for frame in frames:
                    with solara.Column(gap="2px"):
                        solara.Image(frame.plots, classes=["govsim-figure", "govsim-plots"])
                        solara.Image(frame.network, classes=["govsim-figure", "govsim-network"])
                        solara.Text(frame.caption, classes=["govsim-caption"])
        solara.HTML(tag="div", unsafe_innerHTML=key_numbers_html(model.runs), classes=["govsim-keys"])


@solara.component
def Page():
    lessons, problems = solara.use_memo(load_lessons, [])
    settings = solara.use_reactive(Settings())
    first = solara.use_memo(lambda: ClassroomModel(settings.value), [])
    model = solara.use_reactive(first)
    with solara.Column(gap="0px") as main:  # no gaps around the invisible portal placeholders
        solara.Style(CSS)
        solara.Title(TITLE)
        # Mesa's frame: app bar, play / pause / step / reset; Reset rebuilds ClassroomModel(settings=...)
        SolaraViz(
            model,
            components=[],
            model_params={"settings": settings},
            play_interval=PLAY_INTERVAL_MS,
            name=TITLE,
        )
        LeverSidebar(settings, model, lessons, problems)
        Dashboard(model.value, lessons)
    return main
