"""Regenerate the dashboard's pictures in docs/ at a projector's 1366x768: `python -m dashboard.screenshot`.

Starts the app in headless Chromium and saves:

- docs/dashboard_lesson_start.png: lesson 1 picked, day 0;
- docs/dashboard_mid_lesson.png: lesson 1 played with "Run to day 730", caught on its way (about day 400);
- docs/dashboard_lever_change.png: the quota town at day 480 after "What the audit counts" was set to
  `resolutions` at about day 300 while it played (the marker and the lines that move);
- docs/dashboard.png: the README's picture, lesson 1 at its marked day 730.
"""

from __future__ import annotations

import argparse
from pathlib import Path

VIEWPORT = {"width": 1366, "height": 768}
DAY_JS = "parseInt(document.querySelector('.govsim-day').innerText.match(/Day (\\d+) of/)[1])"
LESSON = "What a posting quota does"


def take(folder: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    from dashboard import assets, server

    assets.ensure()
    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    proc, url = server.start()
    try:
        with sync_playwright() as p:
            browser = server.launch_chromium(p)
            page = browser.new_page(viewport=VIEWPORT)
            page.set_default_timeout(300_000)

            def shot(name: str) -> None:
                page.wait_for_timeout(600)  # the last frame's image is decoded
                path = folder / name
                page.screenshot(path=str(path))
                saved.append(path)

            def pick(label: str, option: str) -> None:
                page.locator(".v-select", has_text=label).first.click()
                page.get_by_role("option", name=option, exact=True).click()

            def wait_day(day: int) -> None:
                page.wait_for_function(f"{DAY_JS} >= {day}")

            page.goto(url)
            page.wait_for_selector("img.govsim-plots")
            pick("Lesson", LESSON)
            page.wait_for_selector(".govsim-runto-button:has-text('Run to day 730')")
            page.wait_for_selector(".govsim-monitors:has-text('laissez_faire')")
            page.wait_for_selector(".govsim-building", state="detached")
            shot("dashboard_lesson_start.png")

            page.locator(".govsim-runto-button").click()
            wait_day(400)
            shot("dashboard_mid_lesson.png")
            wait_day(730)
            page.wait_for_selector("button:has-text('Play')")
            shot("dashboard.png")

            pick("Compare with", "(none)")  # one regime: the lever's effect against the quota alone
            page.wait_for_selector(".govsim-day:has-text('Day 0 of')")
            page.wait_for_selector(".govsim-building", state="detached")
            page.locator(".govsim-runto input").fill("480")
            page.locator(".govsim-runto input").press("Enter")
            page.locator(".govsim-runto-button", has_text="Run to day 480").click()
            wait_day(300)
            pick("What the audit counts", "resolutions")
            wait_day(480)
            page.wait_for_selector("button:has-text('Play')")
            shot("dashboard_lever_change.png")
            browser.close()
    finally:
        server.stop(proc)
    return saved


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dashboard.screenshot", description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", default="docs", type=Path)
    args = parser.parse_args(argv)
    for path in take(args.folder):
        print(f"saved {path}")


if __name__ == "__main__":
    main()
