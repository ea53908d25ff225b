"""Open a page in a real headless Chromium (Debian's package) and report what a person would see go wrong."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# flags that keep Chromium off the (closed) network and quiet, as root in a container
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]


@dataclass
class Rendered:
    """What happened when the page loaded."""

    errors: list[str] = field(default_factory=list)     # uncaught exceptions and console errors
    requests: list[str] = field(default_factory=list)   # every URL the page asked for besides itself
    charts: int = 0                                      # Plotly chart containers
    drawn: int = 0                                       # of those, charts with an SVG drawn inside
    headings: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)    # notes saying what to run to complete a section
    text: str = ""


def render(page_file: Path, screenshot: Path) -> Rendered:
    """Load ``page_file`` in headless Chromium, wait for it, take a full-page screenshot."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise AssertionError("Chromium is missing — run `apt-get install -y chromium` (the README's test command does)")
    seen = Rendered()
    url = page_file.resolve().as_uri()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("pageerror", lambda e: seen.errors.append(f"exception: {e}"))
            page.on("console", lambda m: seen.errors.append(f"console: {m.text}") if m.type == "error" else None)
            page.on("request", lambda r: seen.requests.append(r.url) if r.url != url else None)
            page.goto(url, wait_until="load")
            page.wait_for_timeout(300)
            seen.charts = page.locator(".plotly-graph-div").count()
            seen.drawn = page.locator(".plotly-graph-div:has(svg.main-svg)").count()
            seen.headings = page.locator("section h2").all_inner_texts()
            seen.missing = page.locator(".missing").all_inner_texts()
            seen.text = page.inner_text("body")
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return seen
