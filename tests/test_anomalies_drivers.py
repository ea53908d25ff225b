"""Anomalies (`sales_anomalies`) and what drove a change (`revenue_drivers`, `marketsql explain-change`), on the demo
with its planted shocks (truth.json `shocks`, marketsql/demo/shocks.py), recomputed independently with pandas."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from chromium import render
from conftest import run_cli

import marketsql


def _truth(root: Path) -> dict:
    return json.loads((root / "data" / "demo" / "truth" / "truth.json").read_text())["shocks"]


def _query(root: Path, sql: str) -> pd.DataFrame:
    con = marketsql.connect(root, read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def _flagged(root: Path, grain: str) -> set[str]:
    rows = _query(root, "SELECT period FROM sales_anomalies WHERE series = 'revenue' AND method = 'robust'"
                        f" AND grain = '{grain}'")
    return {str(p)[:10] for p in rows["period"]}


def _monday(day: str) -> str:
    d = date.fromisoformat(day)
    return str(d - timedelta(days=d.weekday()))


def test_planted_anomalies_are_found(demo_shop):
    """Precision and recall of the robust rule on total revenue against the planted days and weeks (README)."""
    shocks = _truth(demo_shop.root)
    days = set(shocks["spike_days"] + shocks["drop_days"])
    weeks = set(shocks["spike_weeks"] + shocks["drop_weeks"])
    in_weeks = {str(date.fromisoformat(w) + timedelta(days=d)) for w in weeks for d in range(7)}
    found_days, found_weeks = _flagged(demo_shop.root, "day"), _flagged(demo_shop.root, "week")
    assert weeks <= found_weeks                                       # weekly recall 4/4
    assert len(found_weeks & (weeks | {_monday(d) for d in days})) / len(found_weeks) >= 0.6
    # one day's orders at 3,000 customers are few and lumpy (phones): daily recall 4/10, precision 6/7 (README;
    # 10/10 at 20,000 customers); the other flag is Christmas Eve, the calendar's own
    assert len(days & found_days) >= 2
    assert len(found_days & (days | in_weeks)) / len(found_days) >= 0.6
    directions = _query(demo_shop.root, "SELECT CAST(period AS VARCHAR) AS period, direction FROM sales_anomalies"
                                        " WHERE series = 'revenue' AND grain = 'week' AND method = 'robust'")
    direction = dict(zip(directions["period"], directions["direction"], strict=True))
    assert [direction[w] for w in shocks["spike_weeks"]] == ["spike"] * len(shocks["spike_weeks"])
    assert [direction[w] for w in shocks["drop_weeks"]] == ["drop"] * len(shocks["drop_weeks"])


def test_robust_rule_recomputed_with_pandas(demo_shop):
    """Daily total revenue: same-weekday median of 4 weeks either side (itself left out), log residual, 3.5 × MAD."""
    lines = _query(demo_shop.root, "SELECT CAST(order_ts AS DATE) AS day, revenue FROM stg_order_lines")
    daily = lines.groupby(pd.to_datetime(lines["day"]))["revenue"].sum()
    daily = daily.reindex(pd.date_range(daily.index.min(), daily.index.max(), freq="D"), fill_value=0.0)
    frame = pd.DataFrame({"actual": daily.to_numpy()}, index=daily.index)
    expected = pd.Series(np.nan, index=frame.index)
    for _, group in frame.groupby(frame.index.day_of_week):
        values = group["actual"].to_numpy()
        for i in range(len(values)):
            neighbours = np.concatenate([values[max(0, i - 4):i], values[i + 1:i + 5]])
            if len(neighbours) >= 3:
                expected[group.index[i]] = np.median(neighbours)
    frame["expected"] = expected
    frame = frame.dropna()
    residual = np.log1p(frame["actual"]) - np.log1p(frame["expected"])
    sigma = 1.4826 * np.median(np.abs(residual))
    ours = frame[np.abs(residual) > 3.5 * sigma]
    view = _query(demo_shop.root, "SELECT period, actual, expected, lower, upper FROM sales_anomalies"
                                  " WHERE series = 'revenue' AND grain = 'day' AND method = 'robust' ORDER BY period")
    assert [str(d)[:10] for d in view["period"]] == [str(d)[:10] for d in ours.index]
    assert np.allclose(view["expected"], ours["expected"]) and np.allclose(view["actual"], ours["actual"])
    assert np.allclose(view["upper"], (1 + ours["expected"].to_numpy()) * np.exp(3.5 * sigma) - 1)


def test_forecast_anomalies_are_the_holdout_months_outside_the_served_interval(demo_shop):
    holdout = _query(demo_shop.root, "SELECT h.*, a.winner FROM forecast_holdout AS h JOIN forecast_accuracy AS a"
                                     " USING (measure, dimension, category)"
                                     " WHERE measure = 'revenue' AND dimension IN ('total', 'category')")
    model = holdout["winner"] == "model"
    lower = np.where(model, holdout["model_lower"], holdout["baseline_lower"])
    upper = np.where(model, holdout["model_upper"], holdout["baseline_upper"])
    outside = holdout[(holdout["actual"] < lower) | (holdout["actual"] > upper)]
    view = _query(demo_shop.root, "SELECT dimension, key, period FROM sales_anomalies WHERE method = 'forecast'")
    assert sorted(zip(view["dimension"], view["key"], view["period"].astype(str), strict=True)) == sorted(
        zip(outside["dimension"], outside["category"], outside["month"].astype(str), strict=True))
    assert len(view) > 0


@pytest.mark.parametrize("months", [("2024-11", "2024-12"), ("2023-06", "2024-06"), ("2024-02", "2024-01")])
def test_driver_parts_sum_exactly_to_the_change(demo_shop, months):
    a, b = months
    rows = _query(demo_shop.root, f"SELECT * FROM revenue_drivers('{a}', '{b}')")
    totals = _query(demo_shop.root, "SELECT strftime(month, '%Y-%m') AS m, revenue FROM sales_by_month"
                                    " WHERE dimension = 'total'").set_index("m")["revenue"]
    scale = float(totals[b])
    assert np.allclose(rows["volume_effect"] + rows["mix_effect"] + rows["rate_effect"], rows["change"],
                       rtol=0, atol=1e-9 * scale)
    by_dimension = rows.groupby("dimension")["change"].sum()
    assert set(by_dimension.index) == {"segment", "category", "country", "channel", "customer_type",
                                       "category × country"}
    assert np.allclose(by_dimension, totals[b] - totals[a], rtol=0, atol=1e-9 * scale)
    assert list(rows["rank"]) == list(range(1, len(rows) + 1))
    assert rows["contribution"].is_monotonic_decreasing


def test_driver_figures_recomputed_with_pandas(demo_shop):
    """Country: revenue, customers, the BigQuery-style unexpected change and the three effects, from the lines."""
    lines = _query(demo_shop.root, "SELECT strftime(l.order_ts, '%Y-%m') AS m, l.customer_id, l.revenue, c.country"
                                   " FROM stg_order_lines AS l JOIN stg_customers AS c USING (customer_id)"
                                   " WHERE strftime(l.order_ts, '%Y-%m') IN ('2024-05', '2024-06')")
    g = lines.groupby(["country", "m"]).agg(revenue=("revenue", "sum"), customers=("customer_id", "nunique"))
    g = g.unstack("m").fillna(0)
    ra, rb = g[("revenue", "2024-05")], g[("revenue", "2024-06")]
    ca, cb = g[("customers", "2024-05")], g[("customers", "2024-06")]
    unexpected = rb - ra * rb.sum() / ra.sum()
    rate_a, rate_b = ra / ca, rb / cb
    share_a, share_b = ca / ca.sum(), cb / cb.sum()
    rows = _query(demo_shop.root, "SELECT * FROM revenue_drivers('2024-05', '2024-06') WHERE dimension = 'country'"
                                  " ORDER BY dimension_rank").set_index("member")
    assert list(rows.index) == list(unexpected.abs().sort_values(ascending=False).index)
    assert np.allclose(rows["unexpected_change"], unexpected[rows.index])
    assert np.allclose(rows["volume_effect"], ((cb.sum() - ca.sum()) * share_a * rate_a)[rows.index])
    assert np.allclose(rows["mix_effect"], (cb.sum() * (share_b - share_a) * rate_a)[rows.index])
    assert np.allclose(rows["rate_effect"], (cb * (rate_b - rate_a))[rows.index])
    assert np.allclose(rows["apriori_support"], (rb / rb.sum())[rows.index])


def test_planted_shift_ranks_first(demo_shop):
    shift = _truth(demo_shop.root)["shift"]
    month = date.fromisoformat(shift["month"] + "-01")
    before = str(date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1))[:7]
    rows = _query(demo_shop.root, f"SELECT * FROM revenue_drivers('{before}', '{shift['month']}')"
                                  " WHERE dimension_rank = 1").set_index("dimension")
    pair = rows.loc["category × country"]
    assert pair["member"] == f"{shift['category']} × {shift['country']}"
    assert rows.loc["country", "member"] == shift["country"]
    assert pair["rate_effect"] < 0 and abs(pair["rate_effect"]) > abs(pair["volume_effect"] + pair["mix_effect"])
    assert -0.4 < pair["relative_unexpected_change"] < -0.2  # planted: -30 % on price


def test_explain_change_command(demo_shop):
    result = run_cli("explain-change", "--from", "2024-11", "--to", "2024-12", "-p", str(demo_shop.root),
                     "--by", "country,category", "--top", "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Revenue 2024-11 ") and "→ 2024-12 " in lines[0]
    assert [line for line in lines if line.endswith(":") and not line.startswith(" ")] == ["country:", "category:"]
    assert lines[lines.index("country:") + 2].split()[0] == "US"
    explained = demo_shop.project.explain_change("2024-11", "2024-12", ["country"], top=2)
    assert explained.rows[0]["member"] == "US" and len(explained.rows) == 2


@pytest.mark.chromium
def test_report_shows_anomalies_and_drivers_beside_the_trend(demo_shop, tmp_path):
    seen = render(demo_shop.root / "report.html", tmp_path / "report.png")
    assert seen.errors == []
    assert "What drove the change from 2024-11 to 2024-12" in seen.text
    assert "Phones × US" in seen.text
    assert "Anomalies: periods whose actual falls outside the expected range" in seen.text
