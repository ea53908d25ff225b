-- Monthly purchases by product (all purchases, not cut at the analysis date).
SELECT
    CAST(date_trunc('month', l.order_ts) AS DATE) AS month,
    l.product_id,
    sum(l.revenue) AS revenue,
    sum(l.quantity) AS units,
    count(DISTINCT l.order_id) AS orders,
    count(DISTINCT l.customer_id) AS customers
FROM stg_order_lines AS l
GROUP BY 1, 2
