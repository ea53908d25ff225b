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


# per Plotly chart: its title, container and drawn widths, x tick labels, colour bar box, the x range shown
# and the last x value of its data (the page's own Plotly objects, as drawn)
MEASURE = """() => Array.from(document.querySelectorAll('.plotly-graph-div')).map(gd => {
  const box = el => { if (!el) return null; const r = el.getBoundingClientRect();
                      return {left: r.left, right: r.right, width: r.width}; };
  const outer = gd.parentElement.getBoundingClientRect();
  const svg = gd.querySelector('svg.main-svg');
  const xs = (gd.data || []).flatMap(t => Array.from(t.x || [])).map(String).sort();
  const axis = gd._fullLayout.xaxis || {};
  return {title: (gd._fullLayout.title && gd._fullLayout.title.text) || '',
          container: {left: outer.left, right: outer.right, width: outer.width},
          drawn: box(svg), xticks: Array.from(gd.querySelectorAll('.xtick text')).map(t => t.textContent),
          visibleXticks: Array.from(gd.querySelectorAll('.xtick text')).filter(t => {
              const r = t.getBoundingClientRect(); return r.width > 0 && r.right <= outer.right + 1; })
              .map(t => t.textContent),
          colorbar: box(gd.querySelector('.colorbar')), xtype: axis.type || '', xrange: (axis.range || []).map(String),
          ytype: (gd._fullLayout.yaxis || {}).type || '', yticks: Array.from(gd.querySelectorAll('.ytick text'))
              .map(t => t.textContent), lastX: xs.length ? xs[xs.length - 1] : null};
})"""


def measure_charts(page_file: Path, width: int) -> list[dict]:
    """Open ``page_file`` at a window ``width`` px wide and measure every chart as drawn (see MEASURE)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.goto(page_file.resolve().as_uri(), wait_until="load")
            page.wait_for_timeout(500)
            return page.evaluate(MEASURE)
        finally:
            browser.close()
