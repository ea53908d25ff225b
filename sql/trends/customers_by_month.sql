-- New and returning buying customers per month. A customer is new in the month of their first
-- purchase and returning in every later month in which they buy.
WITH first_purchase AS (
    SELECT customer_id, CAST(date_trunc('month', min(order_ts)) AS DATE) AS first_month
    FROM stg_order_lines
    GROUP BY customer_id
),
active AS (
    SELECT CAST(date_trunc('month', l.order_ts) AS DATE) AS month, l.customer_id, sum(l.revenue) AS revenue
    FROM stg_order_lines AS l
    GROUP BY 1, 2
)
SELECT
    a.month,
    count(*) FILTER (WHERE a.month = f.first_month) AS new_customers,
    count(*) FILTER (WHERE a.month > f.first_month) AS returning_customers,
    coalesce(sum(a.revenue) FILTER (WHERE a.month = f.first_month), 0) AS new_customer_revenue,
    coalesce(sum(a.revenue) FILTER (WHERE a.month > f.first_month), 0) AS returning_customer_revenue
FROM active AS a
JOIN first_purchase AS f ON f.customer_id = a.customer_id
GROUP BY a.month
ORDER BY a.month
