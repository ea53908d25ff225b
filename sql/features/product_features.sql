-- One row per product: sales, reach and returns before the analysis date.
WITH as_of AS (
    SELECT analysis_date FROM analysis_date
),
sold AS (
    SELECT product_id,
           sum(quantity) AS units,
           sum(revenue) AS revenue,
           count(DISTINCT order_id) AS orders,
           count(DISTINCT customer_id) AS customers,
           min(order_ts) AS first_sold_ts,
           max(order_ts) AS last_sold_ts
    FROM stg_order_lines
    WHERE order_ts < (SELECT analysis_date FROM as_of)
    GROUP BY product_id
),
repeat_buyers AS (
    SELECT product_id, count(*) AS repeat_customers
    FROM (
        SELECT product_id, customer_id
        FROM stg_order_lines
        WHERE order_ts < (SELECT analysis_date FROM as_of)
        GROUP BY product_id, customer_id
        HAVING count(DISTINCT order_id) > 1
    ) AS r
    GROUP BY product_id
),
returned AS (
    SELECT product_id, sum(quantity) AS returned_units
    FROM stg_returns
    WHERE order_ts < (SELECT analysis_date FROM as_of)
    GROUP BY product_id
)
SELECT
    p.product_id,
    p.product_name,
    p.category,
    p.brand,
    p.unit_price AS list_price,
    coalesce(s.units, 0) AS units,
    coalesce(s.revenue, 0) AS revenue,
    coalesce(s.orders, 0) AS orders,
    coalesce(s.customers, 0) AS customers,
    s.revenue / nullif(s.units, 0) AS avg_selling_price,
    coalesce(r.repeat_customers, 0) / nullif(s.customers, 0) AS repeat_customer_share,
    coalesce(ret.returned_units, 0) / nullif(s.units, 0) AS return_rate,
    s.first_sold_ts,
    s.last_sold_ts,
    rank() OVER (PARTITION BY p.category ORDER BY coalesce(s.revenue, 0) DESC) AS revenue_rank_in_category
FROM stg_products AS p
LEFT JOIN sold AS s ON s.product_id = p.product_id
LEFT JOIN repeat_buyers AS r ON r.product_id = p.product_id
LEFT JOIN returned AS ret ON ret.product_id = p.product_id
