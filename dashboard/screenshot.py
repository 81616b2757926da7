"""Regenerate the README's picture of the dashboard: `python -m dashboard.screenshot docs/dashboard.png`.

Starts the app, picks a lesson, plays to a given day, folds the lesson text
and saves a screenshot taken by headless Chromium.
"""

from __future__ import annotations

import argparse
import re


def take(path: str, lesson: str, day: int, width: int = 1600, height: int = 1150) -> None:
    from playwright.sync_api import sync_playwright

    from dashboard import assets, server

    assets.ensure()
    proc, url = server.start()
    try:
        with sync_playwright() as p:
            browser = server.launch_chromium(p)
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(300_000)
            page.goto(url)
            page.wait_for_selector(".govsim-day:has-text('Day 0 of')")
            page.locator(".v-select", has_text="Lesson").first.click()
            page.get_by_role("option", name=lesson, exact=True).click()
            page.wait_for_selector(".govsim-sub:has-text(' vs ')")
            page.get_by_role("button", name="▶").click()
            page.wait_for_function(
                f"parseInt(document.querySelector('.govsim-day').innerText.match(/Day (\\d+)/)[1]) >= {day}"
            )
            page.get_by_role("button", name="❚❚").click()
            page.wait_for_timeout(1500)
            page.get_by_text(re.compile(r"^Lesson: ")).click()  # fold the lesson text
            page.wait_for_timeout(800)
            page.screenshot(path=path)
            browser.close()
    finally:
        server.stop(proc)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dashboard.screenshot", description=__doc__.split("\n\n")[0])
    parser.add_argument("path", nargs="?", default="docs/dashboard.png")
    parser.add_argument("--lesson", default="What a posting quota does")
    parser.add_argument("--day", type=int, default=500)
    args = parser.parse_args(argv)
    take(args.path, args.lesson, args.day)
    print(f"saved {args.path}")


if __name__ == "__main__":
    main()
