"""The real UCI Online Retail example: cleaning accounting and features checked against pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ONLINE_RETAIL_CSV, REPO, duckdb_cli

import marketsql

EXAMPLE = REPO / "examples" / "online_retail"


@pytest.fixture(scope="module")
def retail(tmp_path_factory):
    """The example project built from ../shared/data into a temp database."""
    database = tmp_path_factory.mktemp("retail") / "online_retail.duckdb"
    project = marketsql.Project.load(EXAMPLE, database=database)
    result = project.build()
    return project, result


@pytest.fixture(scope="module")
def notebook_rfm():
    """RFM the notebook way, with pandas, straight from the CSV: the independent reference."""
    df = pd.read_csv(ONLINE_RETAIL_CSV, dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": str})
    df = df.drop_duplicates()
    df = df[df["CustomerID"].notna() & ~df["InvoiceNo"].str.startswith("C")]
    df = df[(df["Quantity"] > 0) & (df["UnitPrice"] > 0)].copy()
    df["CustomerID"] = df["CustomerID"].str.replace(r"\.0+$", "", regex=True)
    df["InvoiceDate"] = pd.to_datetime(df["InvoiceDate"])
    df["revenue"] = df["Quantity"] * df["UnitPrice"]
    analysis_date = df["InvoiceDate"].max().normalize() + pd.Timedelta(days=1)
    rfm = df.groupby("CustomerID").agg(
        last=("InvoiceDate", "max"), frequency=("InvoiceNo", "nunique"), monetary=("revenue", "sum")
    )
    rfm["recency_days"] = (analysis_date - rfm["last"].dt.normalize()).dt.days
    return rfm, len(df)


def test_every_raw_line_is_accounted_for(retail):
    _, result = retail
    assert result.accounting()["order_lines"] == (
        "541,909 raw → 392,692 purchases, 8,905 returns, 140,312 quarantined "
        "(missing customer 135,080, exact duplicate 5,192, non-positive price 40)"
    )
    assert sum(q.rows for q in result.quality) == 541_909


def test_purchases_match_the_notebook_cleaning(retail, notebook_rfm):
    project, _ = retail
    rfm, purchase_lines = notebook_rfm
    con = project.connect(read_only=True)
    try:
        lines = con.execute("SELECT count(*) FROM stg_order_lines").fetchall()[0][0]
        features = con.execute(
            "SELECT customer_id, recency_days, frequency, monetary FROM customer_features"
        ).df().set_index("customer_id")
    finally:
        con.close()
    assert lines == purchase_lines
    assert len(features) == len(rfm) == 4_338
    joined = features.merge(rfm, left_index=True, right_index=True, suffixes=("", "_pandas"))
    assert len(joined) == 4_338
    assert (joined["recency_days"] == joined["recency_days_pandas"]).all()
    assert (joined["frequency"] == joined["frequency_pandas"]).all()
    np.testing.assert_allclose(joined["monetary"], joined["monetary_pandas"], rtol=1e-9)


def test_quarantine_keeps_raw_values_and_reasons(retail):
    project, _ = retail
    con = project.connect(read_only=True)
    try:
        reasons = dict(con.execute("SELECT reason, count(*) FROM quarantine_order_lines GROUP BY 1").fetchall())
        sample = con.execute(
            "SELECT CustomerID, InvoiceNo FROM quarantine_order_lines WHERE reason = 'missing customer' LIMIT 1"
        ).fetchall()
        returns = con.execute("SELECT min(quantity), count(*) FROM stg_returns").fetchall()
    finally:
        con.close()
    assert reasons == {"missing customer": 135_080, "exact duplicate": 5_192, "non-positive price": 40}
    assert sample[0][0] is None
    assert returns == [(1, 8_905)]


def test_features_are_sane_and_cover_the_contract(retail):
    project, _ = retail
    con = project.connect(read_only=True)
    try:
        row = con.execute(
            """SELECT min(recency_days), max(tenure_days), min(monetary), max(return_rate),
                      count(*) FILTER (WHERE frequency = 1 AND avg_interpurchase_days IS NOT NULL),
                      min(distinct_categories), max(analysis_date)
               FROM customer_features"""
        ).fetchall()[0]
        monthly = con.execute("SELECT sum(revenue) FROM monthly_sales_category").fetchall()[0][0]
        total = con.execute("SELECT sum(revenue) FROM stg_order_lines").fetchall()[0][0]
        product_columns = [r[0] for r in con.execute("DESCRIBE stg_products").fetchall()]
    finally:
        con.close()
    assert row[0] >= 1 and row[1] <= 374 and row[2] > 0 and row[3] >= 0
    assert row[4] == 0  # one order: no inter-purchase time
    assert row[5] >= 1
    assert str(row[6]) == "2011-12-10"
    assert monthly == pytest.approx(total)
    assert product_columns[:5] == ["product_id", "product_name", "category", "brand", "unit_price"]


def test_analysis_date_setting_cuts_the_history(tmp_path):
    project = marketsql.Project.load(
        EXAMPLE, settings={"analysis_date": "2011-06-01"}, database=tmp_path / "june.duckdb"
    )
    project.build()
    con = project.connect(read_only=True)
    try:
        row = con.execute("SELECT max(last_order_ts), min(recency_days), count(*) FROM customer_features").fetchall()
    finally:
        con.close()
    assert str(row[0][0]) < "2011-06-01" and row[0][1] >= 1
    assert row[0][2] < 4_338


def test_udf_materialised_category_readable_from_duckdb_cli(retail):
    project, _ = retail
    cli = duckdb_cli(
        project.database,
        "SELECT category FROM stg_products WHERE product_name = 'WHITE HANGING HEART T-LIGHT HOLDER';"
        " SELECT count(*) FROM customer_features;",
    )
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout.split("\n")[:4] == ["category", "Candles & lights", "count_star()", "4338"]
