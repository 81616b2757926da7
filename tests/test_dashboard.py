"""The classroom dashboard: its pieces in-process, then the real app in headless Chromium.

The browser tests start the real server (`python -m solara run dashboard.app`
on a free localhost port), drive Debian's chromium with PyPI playwright, and
save screenshots under the pytest tmp folder (printed on failure).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from dashboard import assets, server
from dashboard.app import key_numbers_html, make_views, render_frames
from dashboard.lessons import load_lessons, parse_lesson
from dashboard.model import ClassroomModel
from dashboard.settings import LEVERS, MAX_CITIZENS, Settings
from sim.api import load_config
from sim.config import ConfigError, flatten
from sim.model import GovSimModel

# --- in-process -------------------------------------------------------------


def test_shipped_lessons_compose_and_read_like_an_info_tab():
    lessons, problems = load_lessons()
    assert problems == []
    assert len(lessons) >= 3
    titles = [le.title for le in lessons]
    assert "What a posting quota does" in titles
    assert "Why the offline citizens fall behind" in titles
    assert "What a one-stop hub changes" in titles
    for lesson in lessons:
        for heading in ("## What to do", "## What to notice", "## Try next"):
            assert heading in lesson.text, (lesson.name, heading)
        cfg, _ = lesson.settings().configs()
        assert cfg.policy.name == lesson.regime


def test_a_teachers_lesson_file_is_read_and_a_broken_one_is_skipped_with_a_message(tmp_path):
    (tmp_path / "mine.md").write_text(
        "---\ntitle: My lesson\norder: 9\nregime: training\ncompare: quota\noverrides:\n  seed: 11\n"
        "  policy.training.share_per_year: 0.5\n---\n## What to do\nPlay.\n"
    )
    (tmp_path / "bad_value.md").write_text("---\ntitle: Bad\nregime: quota\noverrides:\n  seed: -1\n---\ntext\n")
    (tmp_path / "bad_regime.md").write_text("---\ntitle: Bad\nregime: nonsense\n---\ntext\n")
    lessons, problems = load_lessons([tmp_path])
    assert [le.title for le in lessons] == ["My lesson"]
    cfg, twin = lessons[0].settings().configs()
    assert (cfg.seed, cfg.policy.training.share_per_year, twin.policy.name, twin.seed) == (11, 0.5, "quota", 11)
    assert any("bad_value.md" in p and "seed" in p for p in problems)
    assert any("bad_regime.md" in p and "allowed" in p for p in problems)
    with pytest.raises(ValueError, match="header"):
        (tmp_path / "no_header.md").write_text("just text")
        parse_lesson(tmp_path / "no_header.md")


def test_every_lever_is_a_config_key_of_the_model():
    keys = flatten(load_config(["population=classroom"]))
    for lever in LEVERS:
        assert lever.key in keys, lever.key


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
    for _ in range(40):
        m.step()
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
    for _ in range(5):
        m.step()
    assert m.day == 3 and not m.running


def test_frames_change_as_the_model_runs():
    m = ClassroomModel(policy="quota", compare="laissez_faire", seed=3)
    views = make_views(m)
    first = render_frames(m, views)
    for _ in range(30):
        m.step()
    later = render_frames(m, views)
    assert len(first) == len(later) == 2
    for a, b in zip(first, later, strict=True):
        assert a.plots.startswith(b"\x89PNG") and a.plots != b.plots
        assert a.network != b.network
    assert "<th>quota</th><th>laissez_faire</th>" in key_numbers_html(m.runs)


# --- in a real browser ------------------------------------------------------

needs_chromium = pytest.mark.skipif(
    not Path(server.CHROMIUM).exists(), reason=f"{server.CHROMIUM} not installed (.ci/run installs Debian's chromium)"
)


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
        pg = browser.new_page(viewport={"width": 1400, "height": 1000})
        pg.set_default_timeout(30_000)
        pg.goto(app_url)
        pg.wait_for_selector(".govsim-day:has-text('Day 0 of')")
        pg.wait_for_selector("img.govsim-plots")
        try:
            yield pg
        finally:
            pg.screenshot(path=str(tmp_path / "last.png"), full_page=True)
            browser.close()


def _day(pg) -> int:
    return int(re.search(r"Day (\d+) of", pg.locator(".govsim-day").inner_text()).group(1))


def _images(pg, css: str) -> list[bytes]:
    """What the student sees: a screenshot of each image of that kind."""
    return [pg.locator(css).nth(i).screenshot() for i in range(pg.locator(css).count())]


def _pick(pg, select_label: str, option: str) -> None:
    pg.locator(".v-select", has_text=select_label).first.click()
    pg.get_by_role("option", name=option, exact=True).click()


@needs_chromium
def test_a_lesson_runs_live_in_the_browser(page, tmp_path):
    pg = page
    _pick(pg, "Lesson", "What a posting quota does")
    pg.wait_for_selector("text=quota vs laissez_faire")
    pg.wait_for_selector("text=What to notice")
    assert pg.locator("img.govsim-plots").count() == 2  # side by side
    assert pg.locator("img.govsim-network").count() == 2
    plots0, network0 = _images(pg, "img.govsim-plots"), _images(pg, "img.govsim-network")
    caption0 = pg.locator(".govsim-caption").first.inner_text()

    for n in (1, 2, 3):  # Mesa's Step button: one day each
        pg.get_by_role("button", name="Step").click()
        pg.wait_for_function(f"document.querySelector('.govsim-day').innerText.includes('Day {n} of')")
    pg.get_by_role("button", name="▶").click()  # play...
    pg.wait_for_function("parseInt(document.querySelector('.govsim-day').innerText.match(/Day (\\d+)/)[1]) >= 25")
    pg.get_by_role("button", name="❚❚").click()  # ...and pause
    pg.wait_for_selector("button:has-text('Step'):not([disabled])")
    pg.wait_for_timeout(800)  # the day being drawn when pause was pressed finishes
    day = _day(pg)
    assert day >= 25
    pg.wait_for_timeout(800)
    assert _day(pg) == day  # paused

    plots1, network1 = _images(pg, "img.govsim-plots"), _images(pg, "img.govsim-network")
    assert all(a != b for a, b in zip(plots0, plots1, strict=True)), "plots did not change"
    assert all(a != b for a, b in zip(network0, network1, strict=True)), "network picture did not change"
    assert pg.locator(".govsim-caption").first.inner_text() != caption0
    shot = tmp_path / "dashboard_lesson.png"
    pg.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000

    pg.get_by_role("button", name="Reset").click()
    pg.wait_for_selector(".govsim-day:has-text('Day 0 of')")
    assert pg.locator("img.govsim-plots").count() == 2  # Reset keeps the lesson's settings


@needs_chromium
def test_an_invalid_entry_is_refused_with_a_visible_message(page, tmp_path):
    pg = page
    citizens = pg.locator(".govsim-lever-population-n-citizens input")
    citizens.fill("-5")
    citizens.press("Enter")
    error = pg.locator(".govsim-error")
    error.wait_for()
    assert error.is_visible()
    text = error.inner_text()
    assert "Refused" in text and "population.n_citizens=-5" in text and "whole number >= 1" in text

    seed = pg.locator(".govsim-lever-seed input")
    seed.fill("abc")
    seed.press("Enter")
    pg.wait_for_selector("text=Value must be an integer")  # solara's own check, shown on the field

    # nothing was rebuilt, and the town still runs
    assert "500 citizens" in pg.locator(".govsim-sub").inner_text()
    pg.get_by_role("button", name="Step").click()
    pg.wait_for_selector(".govsim-day:has-text('Day 1 of')")
    pg.screenshot(path=str(tmp_path / "dashboard_refused.png"), full_page=True)

    # a valid entry is taken: the town restarts with it
    citizens.fill("300")
    citizens.press("Enter")
    pg.wait_for_selector(".govsim-sub:has-text('300 citizens')")
    assert pg.locator(".govsim-error").count() == 0
    assert _day(pg) == 0
    assert pg.locator(".govsim-lever-seed input").input_value() == "0"  # fields show the values in force
