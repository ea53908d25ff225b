-- Monthly purchases by product category.
SELECT
    CAST(date_trunc('month', l.order_ts) AS DATE) AS month,
    coalesce(p.category, 'Unknown') AS category,
    sum(l.revenue) AS revenue,
    sum(l.quantity) AS units,
    count(DISTINCT l.order_id) AS orders,
    count(DISTINCT l.customer_id) AS customers
FROM stg_order_lines AS l
LEFT JOIN stg_products AS p ON p.product_id = l.product_id
GROUP BY 1, 2
