"""The demo plants who buys a phone next (an upgrade cycle: the age of the customer's last phone, by group), and
the propensity model recovers it: it beats the baseline on ``category:Phones``, names the days since the last phone
as its first reason, and its scores rise with the phone's age through the planted window."""

from __future__ import annotations

import json

import duckdb
import numpy as np

from marketsql.demo.upgrades import MONTH_DAYS, UPGRADE_HIGH, UPGRADE_LOW, UPGRADE_MONTHS, upgrade_hazard
from marketsql.models.registry import Registry

PHONES = "category:Phones"


def test_upgrade_hazard_is_low_then_rises_by_group() -> None:
    days = np.array([0, 11 * MONTH_DAYS, 16 * MONTH_DAYS, 20 * MONTH_DAYS, 30 * MONTH_DAYS])
    premium, accessory = (upgrade_hazard(days, np.full(5, g)) for g in (0, 2))
    assert np.allclose(premium, [UPGRADE_LOW, UPGRADE_LOW, (UPGRADE_LOW + 0.9) / 2, 0.9, 0.9])
    assert accessory[-1] == UPGRADE_HIGH["Accessory regulars"] < premium[-1]


def test_the_data_carries_the_planted_cycle(demo_shop) -> None:
    """Among orders of customers who already bought a phone, the share holding a phone is low while that phone is
    younger than 12 months and several times higher once it is older than 20; the rule is in truth.json."""
    data = demo_shop.root / "data" / "demo"
    truth = json.loads((data / "truth" / "truth.json").read_text())["upgrade_cycle"]
    assert (truth["low"], truth["start_months"], truth["end_months"], truth["high"]) == (
        UPGRADE_LOW, *UPGRADE_MONTHS, UPGRADE_HIGH)
    con = duckdb.connect()
    try:
        rates = dict(con.execute(f"""
            WITH lines AS (SELECT l.order_id, l.customer_id, l.order_ts, p.category = 'Phones' AS phone
                           FROM '{data}/order_lines/*.parquet' AS l JOIN '{data}/products.parquet' AS p USING
                           (product_id) WHERE l.customer_id IS NOT NULL AND l.order_id LIKE 'O%'),
            orders AS (SELECT order_id, customer_id, min(order_ts) AS ts, bool_or(phone) AS phone FROM lines
                       GROUP BY ALL),
            aged AS (SELECT *, max(CASE WHEN phone THEN ts END) OVER (PARTITION BY customer_id ORDER BY ts, order_id
                                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS last_phone FROM orders)
            SELECT CASE WHEN date_diff('day', last_phone, ts) < 12 * {MONTH_DAYS} THEN 'young'
                        WHEN date_diff('day', last_phone, ts) > 20 * {MONTH_DAYS} THEN 'old' END, avg(phone::INT)
            FROM aged WHERE last_phone IS NOT NULL GROUP BY 1""").fetchall())
    finally:
        con.close()
    assert rates["young"] < 0.06 and rates["old"] > 5 * rates["young"], rates


def _phones(demo_shop, sql: str) -> list[tuple]:
    con = demo_shop.project.connect(read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_phone_model_beats_the_baseline(demo_shop) -> None:
    con = demo_shop.project.connect(read_only=True)
    try:
        metrics = Registry(con).active("propensity").metrics["targets"][PHONES]
    finally:
        con.close()
    served, baseline = metrics["candidates"][metrics["served"]], metrics["candidates"]["baseline"]
    assert not metrics["baseline_served"]
    assert served["pr_auc"] > 2 * baseline["pr_auc"] and served["lift_top_10"] > 2 * baseline["lift_top_10"]


def test_days_since_the_last_phone_is_the_first_reason(demo_shop) -> None:
    rows = _phones(demo_shop, f"SELECT reason_1, reason_2, reason_3 FROM customer_propensity WHERE target = '{PHONES}'"
                              " AND decile = 1")
    firsts = [r[0].split()[0] for r in rows]
    top = max(set(firsts), key=firsts.count)
    assert top == "target_recency_days", firsts
    in_top_3 = sum(any(reason.startswith("target_recency_days ") for reason in row) for row in rows)
    assert in_top_3 > 0.6 * len(rows)


def test_scores_rise_with_phone_age_through_the_planted_window(demo_shop) -> None:
    """Customers whose last phone (before the analysis date) is 12+ months old score well above those whose phone
    is younger than 9 months."""
    rows = dict(_phones(demo_shop, f"""
        SELECT CASE WHEN f.target_recency_days < 9 * {MONTH_DAYS} THEN 'young'
                    WHEN f.target_recency_days >= 12 * {MONTH_DAYS} THEN 'old' END, avg(p.probability)
        FROM customer_propensity AS p JOIN propensity_features AS f USING (customer_id, target)
        WHERE p.target = '{PHONES}' AND f.target_bought = 1 GROUP BY 1"""))
    assert rows["old"] > 2 * rows["young"], rows
