"""Hostile: markup in the data (a product, brand, category, channel or segment name) must show as text in
the report's charts — never a live link, an image, bold text or a script — in a real headless Chromium."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from chromium import CHROMIUM, FLAGS
from conftest import run_cli

from marketsql.models.registry import Registry

PAYLOAD = '<a href="https://evil.example">x</a><b>bold</b><img src=x onerror=alert(1)>'


def _plant(root: Path) -> None:
    """The payload as a phone's name and brand, a category, a marketing channel and a segment name."""
    data = root / "data" / "demo"
    con = duckdb.connect()
    try:
        payload = PAYLOAD.replace("'", "''")
        products = data / "products.parquet"
        con.execute(f"COPY (SELECT * REPLACE ("
                    f" CASE WHEN product_id = 'P0003' THEN '{payload}' ELSE product_name END AS product_name,"
                    f" CASE WHEN product_id = 'P0003' THEN '{payload}' ELSE brand END AS brand,"
                    f" CASE WHEN category = 'Audio' THEN '{payload}' ELSE category END AS category)"
                    f" FROM '{products}') TO '{data / 'p.parquet'}' (FORMAT parquet)")
        (data / "p.parquet").replace(products)
        spend = data / "marketing_spend.parquet"
        con.execute(f"COPY (SELECT * REPLACE (CASE WHEN channel = 'email' THEN '{payload}' ELSE channel END AS channel)"
                    f" FROM '{spend}') TO '{data / 's.parquet'}' (FORMAT parquet)")
        (data / "s.parquet").replace(spend)
    finally:
        con.close()
    con = duckdb.connect(str(root / "marketsql.duckdb"))
    try:
        registry = Registry(con)
        record = registry.active("segmentation")
        params = json.loads(json.dumps(record.params))
        params["model"]["names"][0] = PAYLOAD
        registry.register("segmentation", record.kind, params, record.features, record.metrics,
                          registry.arrays(record), record.data_fingerprint)
    finally:
        con.close()


@pytest.mark.chromium
def test_markup_in_data_shows_literally_in_every_chart(demo_copy: Path, tmp_path: Path):
    from playwright.sync_api import sync_playwright

    _plant(demo_copy)
    built = run_cli("build", "-p", str(demo_copy))
    assert built.returncode == 0, built.stderr
    report = tmp_path / "report.html"
    done = run_cli("report", "-p", str(demo_copy), "-o", str(report))
    assert done.returncode == 0, done.stderr
    problems: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
            page.on("pageerror", lambda e: problems.append(f"exception: {e}"))
            page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
            page.on("request", lambda r: requests.append(r.url) if r.url != report.as_uri() else None)
            page.goto(report.as_uri(), wait_until="load")
            page.wait_for_timeout(500)
            drawn = page.locator("svg text").all_text_contents()
            # hover the planted phone on the perceptual map, as a reader would
            hovered = page.evaluate("""() => {
                const gd = document.querySelector('#positioning .plotly-graph-div');
                for (const [c, trace] of gd.data.entries()) {
                    const i = (trace.text || []).findIndex(t => t.includes('evil.example'));
                    if (i >= 0) { Plotly.Fx.hover(gd, [{curveNumber: c, pointNumber: i}]); return true; }
                }
                return false;
            }""")
            page.wait_for_timeout(200)
            hover = page.locator(".hoverlayer text").all_text_contents()
            links = page.locator("svg a").count() + page.locator("a[href^='https://evil']").count()
            images = page.locator("img").count()
            bold = page.locator("svg tspan[style*='bold']").count()
        finally:
            browser.close()
    assert problems == [] and requests == []
    assert links == 0 and images == 0 and bold == 0
    shown = [t for t in drawn if PAYLOAD in t]
    assert len(shown) >= 3, drawn  # the segment's tick label, the category's legend name, the channel's tick label
    assert hovered and any(PAYLOAD in t for t in hover), hover
