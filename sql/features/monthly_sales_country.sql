-- Monthly purchases by the customer's country.
SELECT
    CAST(date_trunc('month', l.order_ts) AS DATE) AS month,
    coalesce(c.country, 'Unknown') AS country,
    sum(l.revenue) AS revenue,
    sum(l.quantity) AS units,
    count(DISTINCT l.order_id) AS orders,
    count(DISTINCT l.customer_id) AS customers
FROM stg_order_lines AS l
LEFT JOIN stg_customers AS c ON c.customer_id = l.customer_id
GROUP BY 1, 2
