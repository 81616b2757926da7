"""Speed check: model days per second with the plots and the network picture redrawn every day.

    python -m dashboard.bench                      # in-process, 500 citizens, one regime and two side by side
    python -m dashboard.bench --browser            # the real app in headless Chromium, playing for 15 s

In-process it times what the server does for each day the page shows (step the
model, redraw both figures of every run); in the browser it presses play and
reads the day counter, so it includes Solara, the websocket and the browser.
This is a measurement to report, not a test: the numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import re
import time

from dashboard.app import make_views, render_frames
from dashboard.model import ClassroomModel


def in_process(compare: str | None = None, days: int = 300, n_citizens: int = 500, seed: int = 0) -> dict[str, float]:
    model = ClassroomModel(policy="quota", compare=compare, seed=seed, population__n_citizens=n_citizens)
    views = make_views(model)
    render_frames(model, views)  # first frame draws the static parts
    t0 = time.perf_counter()
    for _ in range(days):
        model.step()
    stepping = time.perf_counter() - t0
    model = ClassroomModel(policy="quota", compare=compare, seed=seed, population__n_citizens=n_citizens)
    views = make_views(model)
    render_frames(model, views)
    t0 = time.perf_counter()
    for _ in range(days):
        model.step()
        render_frames(model, views)
    drawing = time.perf_counter() - t0
    return {"days_per_s_model_only": days / stepping, "days_per_s_with_drawing": days / drawing}


def in_browser(lesson: str | None = None, seconds: float = 15.0) -> float:
    from playwright.sync_api import sync_playwright

    from dashboard import assets, server

    assets.ensure()
    proc, url = server.start()
    try:
        with sync_playwright() as p:
            browser = server.launch_chromium(p)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            page.wait_for_selector(".govsim-day:has-text('Day 0 of')")
            if lesson:
                page.locator(".v-select", has_text="Lesson").first.click()
                page.get_by_role("option", name=lesson, exact=True).click()
                page.wait_for_selector(".govsim-sub:has-text(' vs ')")

            def day() -> int:
                return int(re.search(r"Day (\d+)", page.locator(".govsim-day").inner_text()).group(1))

            page.get_by_role("button", name="▶").click()
            page.wait_for_timeout(2000)  # warm up
            d0, t0 = day(), time.monotonic()
            page.wait_for_timeout(seconds * 1000)
            d1, t1 = day(), time.monotonic()
            page.get_by_role("button", name="❚❚").click()
            browser.close()
    finally:
        server.stop(proc)
    return (d1 - d0) / (t1 - t0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dashboard.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--browser", action="store_true", help="also measure the real app in headless Chromium")
    parser.add_argument("--days", type=int, default=300)
    parser.add_argument("--citizens", type=int, default=500)
    args = parser.parse_args(argv)
    for compare in (None, "training"):
        label = "quota" if compare is None else f"quota vs {compare}"
        r = in_process(compare, args.days, args.citizens)
        print(
            f"in-process, {args.citizens} citizens, {label:18s}: {r['days_per_s_with_drawing']:6.1f} days/s "
            f"with both figures redrawn each day (model alone: {r['days_per_s_model_only']:.0f} days/s)"
        )
    if args.browser:
        print(f"browser, 500 citizens, quota                 : {in_browser():6.1f} days/s (play, default intervals)")
        lesson = "What a posting quota does"
        print(f"browser, 500 citizens, quota vs laissez_faire: {in_browser(lesson):6.1f} days/s")


if __name__ == "__main__":
    main()
