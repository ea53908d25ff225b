"""Trend views on real data: monthly sales with growth, new vs returning customers, cohort retention."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import REPO

import marketsql


@pytest.fixture(scope="module")
def retail(tmp_path_factory):
    project = marketsql.Project.load(
        REPO / "examples" / "online_retail", database=tmp_path_factory.mktemp("trends") / "r.duckdb"
    )
    project.build()
    con = project.connect(read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def lines(retail) -> pd.DataFrame:
    """The purchase lines, to recompute every figure independently with pandas."""
    frame = retail.execute("SELECT order_id, order_ts, customer_id, revenue FROM stg_order_lines").df()
    frame["month"] = frame["order_ts"].dt.to_period("M").dt.to_timestamp()
    return frame


def test_monthly_totals_growth_and_moving_average(retail, lines):
    view = retail.execute(
        "SELECT month, revenue, orders, customers, mom_growth, yoy_growth, revenue_ma3, partial_month"
        " FROM sales_by_month WHERE dimension = 'total' ORDER BY month").df()
    expected = lines.groupby("month").agg(revenue=("revenue", "sum"), orders=("order_id", "nunique"),
                                          customers=("customer_id", "nunique"))
    assert len(view) == len(expected) == 13
    assert (view["orders"].to_numpy() == expected["orders"].to_numpy()).all()
    assert (view["customers"].to_numpy() == expected["customers"].to_numpy()).all()
    pd.testing.assert_series_equal(view["revenue"], expected["revenue"].reset_index(drop=True), check_names=False)
    mom = expected["revenue"].pct_change().reset_index(drop=True)
    pd.testing.assert_series_equal(view["mom_growth"].iloc[1:], mom.iloc[1:], check_names=False)
    ma3 = expected["revenue"].rolling(3, min_periods=1).sum().reset_index(drop=True) / 3
    pd.testing.assert_series_equal(view["revenue_ma3"], ma3, check_names=False)
    december = view[view["month"] == pd.Timestamp("2011-12-01")].iloc[0]
    assert december["yoy_growth"] == pytest.approx(december["revenue"] / view["revenue"].iloc[0] - 1)
    assert december["partial_month"] and not view["partial_month"].iloc[:-1].any()


def test_every_dimension_adds_up_to_the_total(retail):
    rows = retail.execute(
        "SELECT dimension, round(sum(revenue), 4), count(DISTINCT key) FROM sales_by_month GROUP BY 1 ORDER BY 1"
    ).fetchall()
    totals = {dimension: revenue for dimension, revenue, _ in rows}
    assert set(totals) == {"brand", "category", "country", "total"}
    assert len({round(v, 2) for v in totals.values()}) == 1
    assert dict((d, n) for d, _, n in rows)["country"] == 37


def test_new_and_returning_customers(retail, lines):
    view = retail.execute("SELECT * FROM customers_by_month ORDER BY month").df()
    first = lines.groupby("customer_id")["month"].min().rename("first")
    active = lines[["month", "customer_id"]].drop_duplicates().join(first, on="customer_id")
    new = active[active["month"] == active["first"]].groupby("month").size()
    assert view["new_customers"].tolist() == new.tolist()
    assert int(view["new_customers"].sum()) == 4_338
    assert (view["new_customers"] + view["returning_customers"]).tolist() == (
        active.groupby("month").size().tolist())


def test_cohort_retention_matrix(retail, lines):
    view = retail.execute("SELECT * FROM cohort_retention ORDER BY cohort_month, months_since_first").df()
    assert (view.loc[view["months_since_first"] == 0, "retention"] == 1).all()
    december = view[view["cohort_month"] == pd.Timestamp("2010-12-01")].set_index("months_since_first")
    cohort = set(lines.loc[lines.groupby("customer_id")["month"].transform("min") == pd.Timestamp("2010-12-01"),
                           "customer_id"])
    january = set(lines.loc[lines["month"] == pd.Timestamp("2011-01-01"), "customer_id"])
    assert december.loc[0, "cohort_customers"] == len(cohort) == 885
    assert december.loc[1, "active_customers"] == len(cohort & january) == 324
    assert december.loc[1, "retention"] == pytest.approx(324 / 885)
    assert view["months_since_first"].max() == 12
