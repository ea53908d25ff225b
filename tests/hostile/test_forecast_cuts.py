"""Hostile: forecast cuts the data cannot carry — a part with one month of sales, a dimension with a single part,
the segmentation model removed after a forecast was cut by it, a measure or cut the command line cannot name. The
forecast trains, says what it did with each, and the parts still add up to the total; a bad name is one line."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest
from conftest import run_cli

import marketsql
from marketsql.errors import ModelError

from .clirun import error_line, invoke

MONTHS = 14
# total, two countries with sales every month, one country with one month of sales, one category only
SALES = f"""\
    WITH m AS (SELECT CAST(DATE '2023-01-01' + INTERVAL (i) MONTH AS DATE) AS month, i FROM range({MONTHS}) AS t(i)),
    parts AS (
        SELECT 'country' AS dimension, 'FR' AS key, month, 100.0 + 10 * (i % 3) AS revenue, 10 + i % 2 AS orders,
               8 AS customers FROM m
        UNION ALL SELECT 'country', 'DE', month, 50.0 + i, 5, 4 FROM m
        UNION ALL SELECT 'country', 'IS', month, 30.0, 2, 1 FROM m WHERE i = {MONTHS - 1}
    )
    SELECT *, false AS partial_month FROM parts
    UNION ALL SELECT 'total', 'All', month, sum(revenue), sum(orders), sum(customers), false FROM parts GROUP BY month
    UNION ALL SELECT 'category', 'Phones', month, sum(revenue), sum(orders), sum(customers), false FROM parts
    GROUP BY month
    """


def test_a_part_with_one_month_is_pooled_and_a_single_part_is_no_cut(write_project):
    root = write_project({"sql/sales_by_month.sql": SALES})
    project = marketsql.Project.load(root)
    project.build()
    with pytest.raises(ModelError, match=r"^--measures 'profit' is not a measure — use any of revenue, orders,"
                                         r" customers \(comma-separated\)$"):
        project.train("forecast", measures=("profit",))
    with pytest.raises(ModelError, match=r"^--dimensions 'brand' is not a dimension — use any of category, country,"
                                         r" segment \(comma-separated\)$"):
        project.train("forecast", dimensions=("brand",))
    lines = project.train("forecast", horizon=3, measures=("revenue", "customers")).result.lines()
    assert "note: country: 1 part(s) pooled into 'Other (pooled)' (1 with sales in fewer than 9 months): IS" in lines
    assert "note: category: a single part, not a cut of the total — not forecast" in lines
    assert any(line.startswith("note: segment cut absent: no trained segmentation model") for line in lines)
    con = project.connect(read_only=True)
    try:
        rows = con.execute("SELECT measure, month, sum(forecast) FILTER (WHERE dimension = 'country'),"
                           " sum(forecast) FILTER (WHERE dimension = 'total') FROM forecast_points() GROUP BY ALL"
                           ).fetchall()
        keys = {k for (k,) in con.execute("SELECT DISTINCT category FROM forecast_points() WHERE dimension ="
                                          " 'country'").fetchall()}
    finally:
        con.close()
    assert keys == {"FR", "DE", "Other (pooled)"} and len(rows) == 2 * 3
    assert all(np.isclose(parts, total, rtol=1e-6) for _, _, parts, total in rows)


def test_segmentation_removed_after_the_forecast(shop: Path):
    """The stored forecast keeps its segment cut (it is a table); a new training says the cut is absent."""
    con = duckdb.connect(str(shop / "marketsql.duckdb"))
    try:
        before = con.execute("SELECT count(*) FROM sales_forecast WHERE dimension = 'segment'").fetchall()[0][0]
        con.execute("DELETE FROM meta.model_arrays WHERE name = 'segmentation'")
        con.execute("DELETE FROM meta.models WHERE name = 'segmentation'")
    finally:
        con.close()
    assert before > 0
    built = run_cli("build", "-p", str(shop))
    assert built.returncode == 0, built.stderr
    project = marketsql.Project.load(shop)
    trained = project.train("forecast", horizon=2, measures=("revenue",), dimensions=("country", "segment"))
    assert ("note: segment cut absent: no trained segmentation model — run `marketsql train segmentation` and train"
            " the forecast again to add it") in trained.result.lines()
    con = project.connect(read_only=True)
    try:
        dimensions = {d for (d,) in con.execute("SELECT DISTINCT dimension FROM sales_forecast").fetchall()}
    finally:
        con.close()
    assert dimensions == {"total", "country"}


BAD_NAMES = {
    "unknown measure": (["--measures", "revenue,profit"], "Error: --measures 'profit' is not a measure — use any of"
                        " revenue, orders, customers (comma-separated)"),
    "measure in capitals": (["--measures", "Revenue"], "Error: --measures 'Revenue' is not a measure — use any of"
                            " revenue, orders, customers (comma-separated)"),
    "no measure": (["--measures", " , "], "Error: --measures: no measure given — use any of revenue, orders,"
                   " customers (comma-separated)"),
    "unknown dimension": (["--dimensions", "country;brand"], "Error: --dimensions 'country;brand' is not a"
                          " dimension — use any of category, country, segment (comma-separated)"),
    "sql in a dimension": (["--dimensions", "category') OR 1=1 --"], "Error: --dimensions \"category') OR 1=1 --\""
                           " is not a dimension — use any of category, country, segment (comma-separated)"),
    "unknown library": (["--library", "prophet"], "Error: --library 'prophet' is not a forecast library — use"
                        " statsmodels or statsforecast"),
}


@pytest.mark.parametrize("options, line", BAD_NAMES.values(), ids=list(BAD_NAMES))
def test_a_measure_or_cut_the_cli_cannot_name_is_one_line_and_trains_nothing(write_project, options, line):
    root = write_project({"sql/sales_by_month.sql": SALES})
    marketsql.Project.load(root).build()
    assert error_line("train", "forecast", "-p", str(root), *options) == line
    assert marketsql.Project.load(root).models() == []


@pytest.mark.slow  # three trainings
def test_cli_measures_and_dimensions_choose_the_series(write_project):
    root = write_project({"sql/sales_by_month.sql": SALES})
    marketsql.Project.load(root).build()
    ran = invoke("train", "forecast", "-p", str(root), "--horizon", "2", "--measures", "orders, revenue,orders",
                 "--dimensions", "country")
    assert ran.code == 0, ran.stderr
    con = marketsql.connect(root, read_only=True)
    try:
        cuts = con.execute("SELECT DISTINCT measure, dimension FROM forecast_points() ORDER BY ALL").fetchall()
    finally:
        con.close()
    assert cuts == [("orders", "country"), ("orders", "total"), ("revenue", "country"), ("revenue", "total")]
    ran = invoke("train", "forecast", "-p", str(root), "--horizon", "2", "--measures", "customers", "--dimensions",
                 "country")  # without revenue, which still ranks the parts to pool (a KeyError before)
    assert ran.code == 0, ran.stderr
    con = marketsql.connect(root, read_only=True)
    try:
        keys = con.execute("SELECT DISTINCT category FROM forecast_points() WHERE dimension = 'country'").fetchall()
    finally:
        con.close()
    assert sorted(k for (k,) in keys) == ["DE", "FR", "Other (pooled)"]
    ran = invoke("train", "forecast", "-p", str(root), "--horizon", "2", "--measures", "customers", "--dimensions", "")
    assert ran.code == 0, ran.stderr
    con = marketsql.connect(root, read_only=True)
    try:
        cuts = con.execute("SELECT DISTINCT measure, dimension FROM forecast_points()").fetchall()
    finally:
        con.close()
    assert cuts == [("customers", "total")]
