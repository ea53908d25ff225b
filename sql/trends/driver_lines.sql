-- marketsql: materialized
-- What revenue_drivers(period_a, period_b) cuts revenue by: one row per month, customer and category, with the
-- customer's country, acquisition channel (stg_acquisitions; NULL without one), RFM segment (rfm_segments, as
-- of analysis_date) and whether the month is the customer's first (customer_type 'new') or a later one
-- ('returning'). NULL = the data has no such attribute for that customer.
WITH first_purchase AS (
    SELECT customer_id, CAST(date_trunc('month', min(order_ts)) AS DATE) AS first_month
    FROM stg_order_lines
    GROUP BY customer_id
)
SELECT
    CAST(date_trunc('month', l.order_ts) AS DATE) AS month,
    l.customer_id,
    coalesce(p.category, 'Unknown') AS category,
    any_value(c.country) AS country,
    any_value(a.channel) AS channel,
    any_value(s.rfm_segment) AS segment,
    CASE WHEN CAST(date_trunc('month', l.order_ts) AS DATE) = any_value(f.first_month) THEN 'new'
         ELSE 'returning' END AS customer_type,
    sum(l.revenue) AS revenue,
    count(DISTINCT l.order_id) AS orders
FROM stg_order_lines AS l
JOIN first_purchase AS f ON f.customer_id = l.customer_id
LEFT JOIN stg_products AS p ON p.product_id = l.product_id
LEFT JOIN stg_customers AS c ON c.customer_id = l.customer_id
LEFT JOIN stg_acquisitions AS a ON a.customer_id = l.customer_id
LEFT JOIN rfm_segments AS s ON s.customer_id = l.customer_id
GROUP BY 1, 2, 3
