-- marketsql: materialized
-- marketsql: requires propensity
-- What the propensity model reads: one row per customer of customer_features and target of the active model
-- (propensity_targets()), from purchases strictly before the analysis date. Training reruns this same SQL as of
-- earlier cutoffs (marketsql/models/propensity/data.py), so a model never sees a purchase after its cutoff.
-- Every feature is rounded to 9 decimals: DuckDB's parallel sums differ in the last bit from run to run, and
-- a tree's bins must not depend on that.
--   recency_score          1 / (1 + recency_days)
--   log_*                  ln(1 + value) of customer_features' heavy-tailed counts and amounts
--   interpurchase_days     avg_interpurchase_days, tenure_days for a single order
--   target_bought          1 if an order before the analysis date holds the target (repeat: every order)
--   log_target_orders      ln(1 + orders holding the target)
--   target_recency_days    days since the last order holding the target (tenure_days + 1 if none)
--   target_share           the target's share of the customer's revenue
WITH as_of AS (
    SELECT analysis_date FROM analysis_date
),
targets AS (
    SELECT target, target_index, target_kind, target_value FROM propensity_targets()
),
hits AS (
    SELECT t.target, l.customer_id, l.order_id, min(l.order_ts) AS order_ts, sum(l.revenue) AS revenue
    FROM stg_order_lines AS l
    LEFT JOIN stg_products AS p ON p.product_id = l.product_id
    JOIN targets AS t
        ON t.target_kind = 'repeat'
        OR (t.target_kind = 'category' AND p.category = t.target_value)
        OR (t.target_kind = 'product' AND l.product_id = t.target_value)
    WHERE l.order_ts < (SELECT analysis_date FROM as_of)
    GROUP BY t.target, l.customer_id, l.order_id
),
history AS (
    SELECT target, customer_id, count(*) AS target_orders, max(order_ts) AS last_ts, sum(revenue) AS target_revenue
    FROM hits
    GROUP BY target, customer_id
),
computed AS (
SELECT
    f.customer_id,
    t.target,
    t.target_index,
    CAST(f.recency_days AS DOUBLE) AS recency_days,
    1.0 / (1 + f.recency_days) AS recency_score,
    ln(1 + f.frequency) AS log_frequency,
    ln(1 + greatest(f.monetary, 0)) AS log_monetary,
    CAST(f.tenure_days AS DOUBLE) AS tenure_days,
    ln(1 + greatest(f.avg_basket_value, 0)) AS log_avg_basket_value,
    CAST(coalesce(f.avg_basket_lines, 0) AS DOUBLE) AS avg_basket_lines,
    ln(1 + coalesce(f.distinct_products, 0)) AS log_distinct_products,
    CAST(coalesce(f.distinct_categories, 0) AS DOUBLE) AS distinct_categories,
    CAST(coalesce(f.avg_interpurchase_days, f.tenure_days) AS DOUBLE) AS interpurchase_days,
    CAST(coalesce(f.return_rate, 0) AS DOUBLE) AS return_rate,
    CAST(coalesce(f.top_category_share, 0) AS DOUBLE) AS top_category_share,
    CASE WHEN h.customer_id IS NULL THEN 0.0 ELSE 1.0 END AS target_bought,
    ln(1 + coalesce(h.target_orders, 0)) AS log_target_orders,
    CAST(coalesce(date_diff('day', CAST(h.last_ts AS DATE), a.analysis_date), f.tenure_days + 1) AS DOUBLE)
        AS target_recency_days,
    CAST(coalesce(h.target_revenue / nullif(f.monetary, 0), 0) AS DOUBLE) AS target_share
FROM customer_features AS f
CROSS JOIN targets AS t
CROSS JOIN as_of AS a
LEFT JOIN history AS h ON h.target = t.target AND h.customer_id = f.customer_id
)
SELECT
    customer_id,
    target,
    target_index,
    round(recency_days, 9) AS recency_days,
    round(recency_score, 9) AS recency_score,
    round(log_frequency, 9) AS log_frequency,
    round(log_monetary, 9) AS log_monetary,
    round(tenure_days, 9) AS tenure_days,
    round(log_avg_basket_value, 9) AS log_avg_basket_value,
    round(avg_basket_lines, 9) AS avg_basket_lines,
    round(log_distinct_products, 9) AS log_distinct_products,
    round(distinct_categories, 9) AS distinct_categories,
    round(interpurchase_days, 9) AS interpurchase_days,
    round(return_rate, 9) AS return_rate,
    round(top_category_share, 9) AS top_category_share,
    round(target_bought, 9) AS target_bought,
    round(log_target_orders, 9) AS log_target_orders,
    round(target_recency_days, 9) AS target_recency_days,
    round(target_share, 9) AS target_share
FROM computed
