"""Speed check of the classroom dashboard: a measurement to report, not a test (numbers depend on the machine).

    python -m dashboard.bench              # in-process: model and drawing speed, rebuild time
    python -m dashboard.bench --browser    # also the real app in headless Chromium at 1366x768

In-process it times what the server does: stepping the model (both regimes of
a lesson), drawing one frame (every frame shows the latest day; the page draws
at most 1 / FRAME_S frames a second whatever the speed) and building a new
town with its figures (what a structural change costs). In the browser it
times the server's start, the first picture after the page opens, each lesson
played with its own header (speed, "Run to day N") from the click to the day
counter reaching N, and a rebuild from pressing Enter in the seed field to
"Day 0" with the indicator gone.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from dashboard.app import build_show, render_frame
from dashboard.lessons import load_lessons
from dashboard.player import FRAME_S
from dashboard.settings import Settings

VIEWPORT = {"width": 1366, "height": 768}
DAY_JS = "parseInt(document.querySelector('.govsim-day').innerText.match(/Day (\\d+) of/)[1])"


def in_process(days: int = 300, n_citizens: int = 500) -> None:
    lessons, _ = load_lessons()
    build_show(Settings())  # warm: imports, config composition, fonts
    times = []
    for seed in range(5):
        t0 = time.perf_counter()
        build_show(Settings(overrides=(("seed", seed), ("population.n_citizens", n_citizens))))
        times.append(time.perf_counter() - t0)
    print(
        f"rebuild at {n_citizens} citizens (model, figures, first frame): median {statistics.median(times):.2f} s, "
        f"max {max(times):.2f} s over 5 seeds"
    )
    for lesson in lessons:
        t0 = time.perf_counter()
        show = build_show(lesson.settings())
        built = time.perf_counter() - t0
        t0 = time.perf_counter()
        show.model.advance(days)
        stepping = time.perf_counter() - t0
        t0 = time.perf_counter()
        frames = 20
        for _ in range(frames):
            render_frame(show, "plots")
        frame_s = (time.perf_counter() - t0) / frames
        # the play loop: due days, then one frame, at most one frame per FRAME_S
        per_s = min(1 / FRAME_S, 1 / frame_s)
        budget = 1.0 - per_s * frame_s  # the share of a second left for stepping
        capacity = budget * days / stepping
        print(
            f"{lesson.name:20s} build {built:.2f} s; model {days / stepping:5.0f} days/s (both regimes); "
            f"frame {1000 * frame_s:3.0f} ms; can play ~{capacity:4.0f} days/s, header asks {lesson.speed} days/s"
        )


def in_browser() -> None:
    from playwright.sync_api import sync_playwright

    from dashboard import assets, server

    assets.ensure()
    lessons, _ = load_lessons()
    t0 = time.monotonic()
    proc, url = server.start()
    print(f"server answers HTTP after {time.monotonic() - t0:.1f} s")
    try:
        with sync_playwright() as p:
            browser = server.launch_chromium(p)
            page = browser.new_page(viewport=VIEWPORT)
            page.set_default_timeout(300_000)
            for visit in ("first", "second"):
                t0 = time.monotonic()
                page.goto(url)
                page.wait_for_selector("img.govsim-plots")
                page.wait_for_selector(".govsim-day:has-text('Day 0 of')")
                print(f"{visit} page load to the first picture: {time.monotonic() - t0:.1f} s")
            for lesson in lessons:
                page.locator(".v-select", has_text="Lesson").first.click()
                page.get_by_role("option", name=lesson.title, exact=True).click()
                button = page.locator(".govsim-runto-button", has_text=f"Run to day {lesson.run_to}")
                button.wait_for()
                page.wait_for_selector(".govsim-day:has-text('Day 0 of')")
                t0 = time.monotonic()
                button.click()
                page.wait_for_function(f"{DAY_JS} >= {lesson.run_to}")
                took = time.monotonic() - t0
                print(
                    f"{lesson.name:20s} day {lesson.run_to} at {lesson.speed} days/s: {took:5.1f} s of play, "
                    f"{lesson.run_to / took:4.1f} days/s"
                )
            seed = page.locator(".govsim-lever-seed input")
            times = []
            for value in ("11", "12", "13"):
                seed.fill(value)
                t0 = time.monotonic()
                seed.press("Enter")
                page.wait_for_selector(".govsim-building")
                shown = time.monotonic() - t0
                page.wait_for_selector(".govsim-building", state="detached")
                page.wait_for_selector(".govsim-day:has-text('Day 0 of')")
                times.append((shown, time.monotonic() - t0))
            print(
                "rebuild at 500 citizens in the browser (indicator shown / new town on screen): "
                + ", ".join(f"{a:.2f} / {b:.2f} s" for a, b in times)
            )
            browser.close()
    finally:
        server.stop(proc)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dashboard.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--browser", action="store_true", help="also measure the real app in headless Chromium")
    parser.add_argument("--days", type=int, default=300)
    parser.add_argument("--citizens", type=int, default=500)
    args = parser.parse_args(argv)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    in_process(args.days, args.citizens)
    if args.browser:
        in_browser()


if __name__ == "__main__":
    main()
