"""`marketsql report`: one self-contained HTML file, checked in a real headless Chromium."""

from __future__ import annotations

import html
import re

import pytest
from chromium import measure_charts, render
from conftest import REPO, run_cli

import marketsql


def test_report_of_a_project_without_models_says_what_to_run(built_project, tmp_path):
    result = built_project.report(tmp_path / "r.html")
    page = result.path.read_text(encoding="utf-8")
    assert result.path == tmp_path / "r.html"
    assert "run `marketsql train segmentation`" in page
    assert "http://" not in page.split("<script>")[0] and "<script src=" not in page  # nothing fetched


def test_report_rejects_a_missing_folder_and_an_unbuilt_project(built_project, write_project, tmp_path):
    result = run_cli("report", "-p", str(built_project.root), "-o", str(tmp_path / "nope" / "r.html"))
    assert result.returncode == 1
    assert result.stderr.strip() == (f"Error: {tmp_path / 'nope'} does not exist — create the folder or choose "
                                     "another --output")
    fresh = tmp_path / "fresh"
    marketsql.init(fresh)
    result = run_cli("report", "-p", str(fresh))
    assert result.returncode == 1
    assert "run `marketsql build` (or `marketsql demo`) first" in result.stderr
    assert not (fresh / "report.html").exists()


@pytest.fixture
def demo_report(demo_shop):
    return demo_shop.root


@pytest.mark.chromium
def test_demo_writes_a_report_that_renders_in_chromium(demo_report, tmp_path):
    report = demo_report / "report.html"
    assert report.is_file()
    shot = tmp_path / "report.png"
    seen = render(report, shot)
    assert seen.errors == []
    assert seen.requests == []                     # self-contained: no network, no other file
    assert seen.charts >= 9 and seen.drawn == seen.charts
    assert seen.headings == ["Overview", "Customer segments", "RFM heatmap", "Recommendations", "Trends",
                             "Product positioning", "Bought together", "Marketing budget", "Customer value",
                             "Targeting"]
    assert seen.missing == []                      # the demo trains every model the report shows
    assert "High-value" in seen.text or "Lapsed" in seen.text  # segment names from the trained model
    assert shot.stat().st_size > 100_000


@pytest.mark.chromium
@pytest.mark.parametrize("width", [1000, 1400, 1920])
def test_every_chart_is_drawn_whole_at_common_window_widths(demo_report, width):
    con = marketsql.connect(demo_report, read_only=True)
    try:
        last_month = con.execute("SELECT strftime(max(order_ts), '%Y-%m') FROM stg_order_lines").fetchall()[0][0]
    finally:
        con.close()
    charts = measure_charts(demo_report / "report.html", width)
    assert len(charts) >= 9
    for chart in charts:  # the drawing fits its container: nothing is cut off on the right
        box, drawn = chart["container"], chart["drawn"]
        assert drawn["left"] >= box["left"] - 1 and drawn["right"] <= box["right"] + 1, (width, chart["title"], box,
                                                                                          drawn)
    by_title = {c["title"].split(" (")[0]: c for c in charts}
    heatmap = by_title["Customers by recency and frequency score"]
    assert heatmap["visibleXticks"] == ["F1", "F2", "F3", "F4", "F5"]
    assert heatmap["colorbar"] is not None and heatmap["colorbar"]["right"] <= heatmap["container"]["right"] + 1
    customers = by_title["New and returning customers per month"]
    assert customers["lastX"][:7] == last_month                        # the data's last month is plotted …
    assert customers["xrange"][1][:10] >= f"{last_month}-01"            # … inside the axis shown
    cohorts = by_title["Cohort retention"]
    assert cohorts["ytype"] == "category" and cohorts["yticks"]
    assert all(re.fullmatch(r"\d{4}-\d{2}", t) for t in cohorts["yticks"]), cohorts["yticks"]  # months, not days
    assert cohorts["colorbar"] is not None and cohorts["colorbar"]["right"] <= cohorts["container"]["right"] + 1


def test_report_labels_offers_and_says_when_a_baseline_beats_the_model(demo_report):
    page = html.unescape((demo_report / "report.html").read_text(encoding="utf-8"))
    assert re.search(r"<td>in \d+% of this segment's top-10 lists</td>", page)
    records = {r.name: r for r in marketsql.Project.load(demo_report).models() if r.status == "active"}
    notes = {name: r.baseline_note() for name, r in records.items()}
    for name, note in notes.items():
        if note and name != "clv":  # clv's section has said so in its own words since it was written
            assert f"Baseline beats the model: {note}." in page, name
    assert notes["clv"] is not None and "LOSES to a baseline" in page   # this demo's clv loses on its holdout


def test_report_command_rewrites_the_file_atomically(demo_report, tmp_path):
    target = tmp_path / "out.html"
    target.write_text("old", encoding="utf-8")
    result = run_cli("report", "-p", str(demo_report), "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Wrote {target} (")
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["out.html"]   # no temporary file left


@pytest.mark.chromium
def test_online_retail_report_renders_and_says_what_this_data_cannot_show(tmp_path):
    project = marketsql.Project.load(REPO / "examples" / "online_retail", database=tmp_path / "retail.duckdb")
    project.build()
    result = project.report(tmp_path / "retail.html")
    seen = render(result.path, tmp_path / "retail.png")
    assert seen.errors == [] and seen.requests == []
    assert seen.charts >= 5 and seen.drawn == seen.charts
    assert "392,692" in seen.text or "4,338" in seen.text           # the real period's customers / purchases
    assert "REGENCY TEA PLATE" in seen.text                          # its strongest basket rule, by name
    assert seen.missing == [
        "No segmentation model is trained yet — run `marketsql train segmentation`.",
        "No recommendation model yet — run `marketsql train recommendation` (after segmentation).",
        "No forecast yet — run `marketsql train forecast` to add the next months per category.",
        "This project has no product attributes (stg_product_attributes is empty), so there is no map.",
        "This project has no marketing spend (stg_marketing_spend is empty), so there is nothing to show.",
        "No customer-value model yet — run `marketsql train clv`.",
        "No propensity model yet — run `marketsql train propensity --target repeat`.",
    ]
