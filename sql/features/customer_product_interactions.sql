-- One row per customer and product bought before the analysis date: implicit feedback for recommenders.
WITH as_of AS (
    SELECT analysis_date FROM analysis_date
)
SELECT
    l.customer_id,
    l.product_id,
    count(DISTINCT l.order_id) AS orders,
    sum(l.quantity) AS quantity,
    sum(l.revenue) AS revenue,
    min(l.order_ts) AS first_ts,
    max(l.order_ts) AS last_ts,
    date_diff('day', CAST(max(l.order_ts) AS DATE), (SELECT analysis_date FROM as_of)) AS days_since_last
FROM stg_order_lines AS l
WHERE l.order_ts < (SELECT analysis_date FROM as_of)
GROUP BY l.customer_id, l.product_id
