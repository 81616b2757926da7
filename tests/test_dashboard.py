"""The classroom dashboard: its pieces in-process, then the real app in headless Chromium at 1366x768.

The browser tests start the real server (`python -m solara run dashboard.app`
on a free localhost port), drive Debian's chromium with PyPI playwright at a
projector's 1366x768, and save a screenshot of each page under the pytest tmp
folder. They wait on conditions with generous timeouts (CI is a loaded
2-core machine) and never assert a duration: `python -m dashboard.bench`
measures the speed. No test depends on the model's numbers: outcomes are
compared with a second run of the same model, built in-process.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard import assets, export, server
from dashboard.app import build_show, markers, monitors_html, plots_png, render_frame
from dashboard.charts import SERIES, series, x_limit
from dashboard.lessons import MAX_SPEED, load_lessons, parse_lesson
from dashboard.model import ClassroomModel
from dashboard.player import Pace, stop_day
from dashboard.settings import LEVERS, MAX_CITIZENS, Settings
from sim.api import load_config
from sim.config import ConfigError, flatten
from sim.levers import MID_RUN_LEVERS
from sim.model import GovSimModel

PLAY_SECONDS = 60  # a lesson's point must be visible within a minute of play

# --- in-process -------------------------------------------------------------


def test_shipped_lessons_compose_read_like_an_info_tab_and_reach_their_day_within_a_minute():
    lessons, problems = load_lessons()
    assert problems == []
    titles = [le.title for le in lessons]
    assert {"What a posting quota does", "Why the offline citizens fall behind", "What a one-stop hub changes"} <= set(
        titles
    )
    for lesson in lessons:
        for heading in ("## What to do", "## What to notice", "## Try next"):
            assert heading in lesson.text, (lesson.name, heading)
        assert lesson.section("What to notice").startswith("- ")
        cfg, _ = lesson.settings().configs()
        assert cfg.policy.name == lesson.regime
        # the header sets the speed and the marked day; at that speed the day comes within a minute
        assert lesson.run_to is not None and 1 <= lesson.speed <= MAX_SPEED
        assert lesson.run_to / lesson.speed <= 0.6 * PLAY_SECONDS, lesson.name
        assert f"Run to day {lesson.run_to}" in lesson.text


def test_a_teachers_lesson_file_is_read_and_a_broken_one_is_skipped_with_a_message(tmp_path):
    (tmp_path / "mine.md").write_text(
        "---\ntitle: My lesson\norder: 9\nregime: training\ncompare: quota\noverrides:\n  seed: 11\n"
        "  policy.training.share_per_year: 0.5\nspeed: 12\nrun_to: 200\n---\n## What to do\nPlay.\n"
    )
    (tmp_path / "bad_value.md").write_text("---\ntitle: Bad\nregime: quota\noverrides:\n  seed: -1\n---\ntext\n")
    (tmp_path / "bad_regime.md").write_text("---\ntitle: Bad\nregime: nonsense\n---\ntext\n")
    (tmp_path / "bad_speed.md").write_text("---\ntitle: Bad\nregime: quota\nspeed: 0\n---\ntext\n")
    (tmp_path / "bad_day.md").write_text("---\ntitle: Bad\nregime: quota\nrun_to: 99999\n---\ntext\n")
    lessons, problems = load_lessons([tmp_path])
    assert [le.title for le in lessons] == ["My lesson"]
    assert (lessons[0].speed, lessons[0].run_to) == (12, 200)
    cfg, twin = lessons[0].settings().configs()
    assert (cfg.seed, cfg.policy.training.share_per_year, twin.policy.name, twin.seed) == (11, 0.5, "quota", 11)
    assert any("bad_value.md" in p and "seed" in p for p in problems)
    assert any("bad_regime.md" in p and "allowed" in p for p in problems)
    assert any("bad_speed.md" in p and "speed=0" in p for p in problems)
    assert any("bad_day.md" in p and "run_to=99999" in p for p in problems)
    with pytest.raises(ValueError, match="header"):
        (tmp_path / "no_header.md").write_text("just text")
        parse_lesson(tmp_path / "no_header.md")


def test_every_lever_is_a_config_key_and_only_structural_ones_rebuild():
    keys = flatten(load_config(["population=classroom"]))
    for lever in LEVERS:
        assert lever.key in keys, lever.key
    mid_run = {lever.key for lever in LEVERS if lever.mid_run}
    assert mid_run == set(MID_RUN_LEVERS)  # every lever the model takes mid-run is on screen
    assert {lever.key for lever in LEVERS if not lever.mid_run} == {
        "population.internet_penetration",
        "population.n_citizens",
        "seed",
    }


def test_levers_come_from_the_declarations_with_a_label_and_a_range_holding_the_classroom_value():
    from sim.config import declarations

    declared = {key for key, decl in declarations().items() if decl.metadata["lever"]}
    assert {lever.key for lever in LEVERS} == declared
    cfg = flatten(load_config(["population=classroom"]))
    for lever in LEVERS:
        assert lever.label and lever.label[0].isupper(), lever.key
        if lever.kind == "float":
            assert lever.lo <= cfg[lever.key] <= lever.hi and 0 < lever.step <= lever.hi - lever.lo, lever.key
        if lever.kind == "select":
            assert cfg[lever.key] in lever.choices


def test_settings_refuse_what_the_model_refuses_with_its_one_line_message():
    s = Settings()
    with pytest.raises(ConfigError, match=r"population\.n_citizens=-5; allowed: a whole number >= 1"):
        s.with_value("population.n_citizens", -5).configs()
    with pytest.raises(ConfigError, match=r"internet_penetration=1\.5"):
        s.with_value("population.internet_penetration", 1.5).configs()
    with pytest.raises(ConfigError, match=f"at most {MAX_CITIZENS:,}"):
        s.with_value("population.n_citizens", MAX_CITIZENS + 1).configs()


def test_a_regime_change_resets_policy_levers_and_keeps_the_town():
    s = Settings(policy="quota").with_value("policy.audit.quota", 40).with_value("seed", 9)
    t = s.with_policy("training")
    cfg = t.config()
    assert cfg.policy.name == "training"
    assert cfg.policy.audit.quota == load_config(["policy=training"]).policy.audit.quota
    assert cfg.seed == 9


def test_classroom_model_is_the_command_line_model():
    """Same overrides, same days: the dashboard's run equals GovSimModel built by load_config."""
    m = ClassroomModel(policy="quota", seed=4, policy__audit__quota=20)
    ref = GovSimModel(load_config(["policy=quota", "population=classroom", "seed=4", "policy.audit.quota=20"]))
    m.advance(40)
    for _ in range(40):
        ref.step()
    assert m.recorder.timeseries().equals(ref.recorder.timeseries())


def test_the_comparison_runs_another_regime_on_the_same_town():
    m = ClassroomModel(policy="quota", compare="training", seed=2, population__internet_penetration=0.7)
    assert m.regime_names == ["quota", "training"]
    assert m.twin.cfg.seed == 2 and m.twin.cfg.population.internet_penetration == 0.7
    assert np.array_equal(m.citizens.connected, m.twin.citizens.connected)
    assert np.array_equal(m.citizens.follows_agency, m.twin.citizens.follows_agency)
    m.step()
    assert m.day == m.twin.day == 1


def test_the_model_stops_at_the_end_of_the_run():
    m = ClassroomModel(policy="quota", days=3)
    assert m.advance(5) == 3
    assert m.day == 3 and not m.running and m.finished


def test_a_lever_acts_mid_run_from_the_next_day_without_resetting():
    """Same town, same seed: identical up to the change, different after it; the day goes on."""
    lever = ClassroomModel(policy="quota", compare="laissez_faire", seed=3)
    plain = ClassroomModel(policy="quota", compare="laissez_faire", seed=3)
    lever.advance(30)
    plain.advance(30)
    lever.apply_lever("agency.staff_capacity", 0.25, both=False)
    lever.apply_lever("policy.audit.metric", "resolutions", both=False)
    assert lever.day == 30 and [c[:2] for c in lever.lever_changes] == [
        (30, "agency.staff_capacity"),
        (30, "policy.audit.metric"),
    ]
    assert lever.twin.lever_changes == []  # a policy lever acts on the left regime only
    lever.advance(60)
    plain.advance(60)
    assert lever.day == 90
    a, b = series(lever), series(plain)
    assert all(np.array_equal(a[k][:30], b[k][:30], equal_nan=True) for k in SERIES)
    assert any(not np.array_equal(a[k][30:], b[k][30:], equal_nan=True) for k in SERIES)
    assert series(lever.twin)["replies"].tolist() == series(plain.twin)["replies"].tolist()
    labels = [ev.label for ev in lever.events if ev.kind == "lever"]
    assert labels == ["staff 0.25", "audit counts resolutions"]
    # a town lever acts on both regimes; a refused value changes nothing
    lever.apply_lever("agency.staff_capacity", 2.0, both=True)
    assert lever.twin.lever_changes[-1][1:] == ("agency.staff_capacity", 2.0)
    cfg = lever.cfg
    with pytest.raises(ConfigError):
        lever.apply_lever("policy.inclusion.assisted_coverage", 1.5, both=False)
    assert lever.cfg is cfg and len(lever.lever_changes) == 3


def test_plots_markers_monitors_and_exports_follow_the_run():
    show = build_show(Settings(policy="quota", compare="laissez_faire", lesson=None, overrides=(("seed", 3),)))
    m = show.model
    first = render_frame(show, "plots")
    assert "Values appear from day 1" in first.monitors
    assert [mk.label for mk in markers(m)] == ["mandate deadline"]
    m.advance(12)
    assert "window is still filling (day 12 of 30)" in monitors_html(m)
    m.advance(100)
    m.apply_lever("policy.audit.quota", 12, both=False)
    later = render_frame(show, "plots")
    assert later.plots.startswith(b"\x89PNG") and later.plots != first.plots
    assert "window is still filling" not in later.monitors
    assert "<td>" in later.monitors and "laissez_faire" in later.monitors
    kinds = [(mk.kind, mk.label) for mk in markers(m)]
    assert ("audit", "audit") in kinds and ("line", "quota 12") in kinds  # audits are read off the model
    town = render_frame(show, "town")
    assert len(town.networks) == 2 and all(p.startswith(b"\x89PNG") for p in town.networks)
    # CSV: one row per day, each outcome once per regime, the day's events
    table = pd.read_csv(io.BytesIO(export.timeseries_csv(m)))
    assert table["day"].tolist() == list(range(1, m.day + 1))
    assert {"quota.filler_share", "laissez_faire.filler_share"} <= set(table.columns)
    assert "quota: quota 12" in table.loc[table["day"] == 112, "events"].item()
    assert plots_png(show).startswith(b"\x89PNG")


def test_every_text_on_the_plots_and_picture_is_at_least_14_px_with_y_labels():
    """At 72 dpi a point is a pixel, and the page shows the images at their natural size (checked in Chromium)."""
    from matplotlib.text import Text

    show = build_show(Settings(policy="quota", compare="integration"))
    show.model.advance(200)
    render_frame(show, "plots")
    render_frame(show, "town")
    for fig in (show.plots.fig, *(n.fig for n in show.networks)):
        assert fig.dpi == 72
        sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_text().strip() and t.get_visible()]
        assert sizes and min(sizes) >= 14
    assert all(ax.get_ylabel() for ax in show.plots.axes)


def test_the_play_clock_steps_days_by_the_wall_clock_and_slips_when_behind():
    pace = Pace(speed=20, start_time=100.0, start_day=0)
    assert pace.due(100.0, 0) == 0
    assert pace.due(100.25, 0) == 5  # 20 days/s for a quarter second
    assert pace.due(100.25, 5) == 0
    assert pace.wait(100.25, 5) == pytest.approx(0.05)
    assert pace.due(105.0, 5) == 10  # far behind: a bounded batch (half a second), then the clock restarts
    assert pace.due(105.0, 15) == 0
    assert stop_day(100, 1095, 730) == 730 and stop_day(730, 1095, 730) == 1095 and stop_day(5, 1095, None) == 1095


def test_the_x_axis_grows_with_the_run():
    limits = [x_limit(d, 1095) for d in (0, 25, 100, 400, 729, 1095)]
    assert limits == sorted(limits) and limits[0] <= 30 and limits[-1] == 1095
    assert all(lim > d for lim, d in zip(limits[:-1], (0, 25, 100, 400, 729), strict=True))


# --- in a real browser ------------------------------------------------------

needs_chromium = pytest.mark.skipif(
    not Path(server.CHROMIUM).exists(), reason=f"{server.CHROMIUM} not installed (.ci/run installs Debian's chromium)"
)
VIEWPORT = {"width": 1366, "height": 768}
WAIT_MS = 90_000  # generous: CI is a loaded 2-core machine
DAY_JS = "parseInt(document.querySelector('.govsim-day').innerText.match(/Day (\\d+) of/)[1])"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    assert assets.ensure(verbose=False), (
        f"Solara's browser files are missing from {assets.cache_dir()} and npm could not fetch them: "
        "run `python -m dashboard --fetch-assets`"
    )
    log = (tmp_path_factory.mktemp("dashboard") / "server.log").open("w")
    proc, url = server.start(log=log)
    yield url
    server.stop(proc)
    log.close()


@pytest.fixture
def page(app_url, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = server.launch_chromium(p)
        pg = browser.new_page(viewport=VIEWPORT, accept_downloads=True)
        pg.set_default_timeout(WAIT_MS)
        pg.goto(app_url)
        pg.wait_for_selector("img.govsim-plots")
        pg.wait_for_selector(".govsim-day:has-text('Day 0 of')")
        try:
            yield pg
        finally:
            pg.screenshot(path=str(tmp_path / "last.png"))
            browser.close()


def _day(pg) -> int:
    return pg.evaluate(DAY_JS)


def _wait_day(pg, at_least: int, timeout: float = WAIT_MS) -> None:
    pg.wait_for_function(f"{DAY_JS} >= {at_least}", timeout=timeout)


def _step_to_day_1(pg) -> None:
    """One Step, before typing into a field of the freshly loaded page: the Step's redraw waits for the first
    town's render pass to finish (reacton renders one pass at a time), effects included, and the fields'
    Enter handlers attach in an effect; on a loaded machine an Enter typed before then is lost (CI saw it)."""
    pg.get_by_role("button", name="Step").click()
    pg.wait_for_selector(".govsim-day:has-text('Day 1 of')")


def _pick(pg, select_label: str, option: str) -> None:
    pg.locator(".v-select", has_text=select_label).first.click()
    pg.get_by_role("option", name=option, exact=True).click()


def _inside_viewport(pg, css: str) -> None:
    for i in range(pg.locator(css).count()):
        box = pg.locator(css).nth(i).bounding_box()
        assert box is not None, css
        assert box["x"] >= 0 and box["y"] >= 0, (css, box)
        assert box["x"] + box["width"] <= VIEWPORT["width"] + 1, (css, box)
        assert box["y"] + box["height"] <= VIEWPORT["height"] + 1, (css, box)


def _download(pg, label: str) -> bytes:
    with pg.expect_download() as info:
        pg.get_by_text(label).click()
    return Path(info.value.path()).read_bytes()


@needs_chromium
def test_one_screen_at_1366x768_without_mesa_clutter(page):
    pg = page
    _pick(pg, "Lesson", "What a posting quota does")
    pg.wait_for_selector(".govsim-monitors:has-text('laissez_faire')")
    for css in (".govsim-day", ".govsim-top button", ".govsim-speed", "img.govsim-plots", ".govsim-monitors table"):
        _inside_viewport(pg, css)
    assert pg.evaluate("document.scrollingElement.scrollHeight") <= VIEWPORT["height"] + 1  # no page scrolling
    # the plots are shown at their natural size: 14 px text stays 14 px on screen
    natural, shown = pg.evaluate(
        "(() => { const i = document.querySelector('img.govsim-plots'); return [i.naturalWidth, i.clientWidth]; })()"
    )
    assert shown == natural
    assert pg.locator("text=Use Threads").count() == 0 and pg.locator("text=Time:").count() == 0
    badge = pg.get_by_text("This website runs on").bounding_box()
    plots = pg.locator("img.govsim-plots").bounding_box()
    if badge is not None:  # Solara's badge sits below the plots, not over them
        assert badge["y"] >= plots["y"] + plots["height"] - 12 or badge["x"] + badge["width"] <= plots["x"]
    # the lesson keeps its bullets and bold
    assert pg.evaluate("getComputedStyle(document.querySelector('.govsim-lesson ul')).listStyleType") == "disc"
    assert (
        float(pg.evaluate("parseFloat(getComputedStyle(document.querySelector('.govsim-lesson ul')).paddingLeft)")) > 0
    )
    assert int(pg.evaluate("getComputedStyle(document.querySelector('.govsim-lesson strong')).fontWeight")) >= 600
    # a regime change leaves the lesson: it would describe other regimes
    _pick(pg, "Regime", "training")
    pg.wait_for_selector(".govsim-monitors:has-text('training')")
    assert pg.locator(".v-select", has_text="Lesson").first.inner_text().endswith("(none)")


@needs_chromium
def test_each_lesson_reaches_its_marked_day_at_its_own_speed(page, tmp_path):
    pg = page
    lessons, _ = load_lessons()
    for lesson in lessons:
        _pick(pg, "Lesson", lesson.title)
        button = pg.locator(".govsim-runto-button", has_text=f"Run to day {lesson.run_to}")
        button.wait_for()
        pg.wait_for_selector(f".govsim-speed-label:has-text('Speed: {lesson.speed} days/s')")
        pg.wait_for_selector(".govsim-day:has-text('Day 0 of')")
        button.click()
        pg.wait_for_selector("button:has-text('Pause')")
        pg.wait_for_selector(".govsim-lesson h2:has-text('What to notice')")  # only what to notice while playing
        # the lesson's own speed brings its day within a minute; the wait is generous for a loaded machine
        _wait_day(pg, lesson.run_to, timeout=3 * PLAY_SECONDS * 1000)
        pg.wait_for_selector("button:has-text('Play')")
        assert _day(pg) == lesson.run_to  # it stops at the marked day
        _inside_viewport(pg, "img.govsim-plots")
        pg.screenshot(path=str(tmp_path / f"{lesson.name}.png"))


@needs_chromium
def test_a_policy_lever_mid_run_keeps_the_day_going_and_moves_the_plotted_outcome(page, tmp_path):
    pg = page
    _step_to_day_1(pg)
    pg.locator(".govsim-runto input").fill("120")
    pg.locator(".govsim-runto input").press("Enter")
    pg.locator(".govsim-runto-button", has_text="Run to day 120").click()
    _wait_day(pg, 25)
    _pick(pg, "What the audit counts", "resolutions")  # while it plays
    pg.wait_for_selector(".govsim-last-change:has-text('audit counts resolutions')")
    before = _day(pg)
    quota = pg.locator(".govsim-lever-policy-audit-quota input")
    quota.fill("12")  # what is typed survives the frames drawn meanwhile...
    _wait_day(pg, _day(pg) + 5)
    assert quota.input_value() == "12"
    quota.press("Enter")  # ...and acts on Enter
    _wait_day(pg, 120)
    pg.wait_for_selector("button:has-text('Play')")
    assert _day(pg) == 120  # never went back to day 0
    pg.screenshot(path=str(tmp_path / "lever.png"))
    table = pd.read_csv(io.BytesIO(_download(pg, "Download CSV")))
    assert table["day"].tolist() == list(range(1, 121))
    changed = table.loc[table["events"].fillna("").str.contains("audit counts resolutions"), "day"].tolist()
    assert len(changed) == 1 and before >= 25 and 25 <= changed[0] < 120
    assert table["events"].fillna("").str.contains("quota 12").sum() == 1
    # the same town without the change, in-process: identical up to the change, different after it
    plain = ClassroomModel(Settings())
    plain.advance(120)
    ref = plain.recorder.timeseries()
    day = changed[0]
    shown = ["posts_substantive", "posts_filler", "replies", "active_share", "needs_met_connected"]
    assert np.allclose(table.loc[: day - 1, shown], ref.loc[: day - 1, shown], equal_nan=True)
    assert not np.allclose(table.loc[day:, shown], ref.loc[day:, shown], equal_nan=True)


@needs_chromium
def test_a_structural_change_shows_the_building_indicator_and_rebuilds(page):
    pg = page
    pg.get_by_role("button", name="Step").click()
    pg.wait_for_selector(".govsim-day:has-text('Day 1 of')")
    pg.evaluate(
        """() => { window.sawBuilding = false;
        new MutationObserver(() => { if (document.querySelector('.govsim-building')) window.sawBuilding = true; })
          .observe(document.body, {childList: true, subtree: true}); }"""
    )
    seed = pg.locator(".govsim-lever-seed input")
    seed.fill("5")
    seed.press("Enter")
    pg.wait_for_function("window.sawBuilding === true")
    pg.wait_for_selector(".govsim-building", state="detached")
    pg.wait_for_selector(".govsim-day:has-text('Day 0 of')")
    assert pg.locator(".govsim-lever-seed input").input_value() == "5"
    # Reset builds the same town again, with the values in force
    pg.get_by_role("button", name="Step").click()
    pg.wait_for_selector(".govsim-day:has-text('Day 1 of')")
    pg.evaluate("window.sawBuilding = false")
    pg.get_by_role("button", name="Reset").click()
    pg.wait_for_function("window.sawBuilding === true")
    pg.wait_for_selector(".govsim-day:has-text('Day 0 of')")
    assert pg.locator(".govsim-lever-seed input").input_value() == "5"


@needs_chromium
def test_an_invalid_entry_is_refused_with_a_visible_message(page, tmp_path):
    pg = page
    _step_to_day_1(pg)
    citizens = pg.locator(".govsim-lever-population-n-citizens input")
    citizens.scroll_into_view_if_needed()
    citizens.fill("-5")
    citizens.press("Enter")
    error = pg.locator(".govsim-error")
    error.wait_for()
    _inside_viewport(pg, ".govsim-error")  # above the plots, whatever the side column's scroll
    text = error.inner_text()
    assert "Refused" in text and "population.n_citizens=-5" in text and "whole number >= 1" in text
    pg.wait_for_selector(".govsim-building", state="detached")

    seed = pg.locator(".govsim-lever-seed input")
    seed.fill("abc")
    seed.press("Enter")
    pg.wait_for_selector("text=Value must be an integer")  # solara's own check, shown on the field

    # nothing was rebuilt, and the town still runs
    pg.get_by_role("button", name="Step").click()
    pg.wait_for_selector(".govsim-day:has-text('Day 2 of')")
    pg.screenshot(path=str(tmp_path / "refused.png"))

    # a valid entry is taken: a new town with it
    citizens.fill("300")
    citizens.press("Enter")
    pg.wait_for_selector(".govsim-day:has-text('Day 0 of')")
    assert pg.locator(".govsim-error").count() == 0
    assert pg.locator(".govsim-lever-seed input").input_value() == "0"  # fields show the values in force
    assert re.fullmatch(r"\d+ of \d+", pg.locator(".govsim-monitors td").nth(1).inner_text())


@needs_chromium
def test_exports_and_the_town_picture(page):
    pg = page
    for n in (1, 2, 3):
        pg.get_by_role("button", name="Step").click()
        pg.wait_for_selector(f".govsim-day:has-text('Day {n} of')")
    table = pd.read_csv(io.BytesIO(_download(pg, "Download CSV")))
    assert table["day"].tolist() == [1, 2, 3]
    assert _download(pg, "Download plots (PNG)").startswith(b"\x89PNG")
    pg.get_by_role("button", name="town").click()
    pg.wait_for_selector("img.govsim-network")
    _inside_viewport(pg, "img.govsim-network")
    assert "sampled citizens" in pg.locator(".govsim-caption").first.inner_text()
