-- marketsql: materialized
-- Monthly purchases overall and by category, brand and country, with growth and moving averages:
--   dimension 'total' | 'category' | 'brand' | 'country', key = the category/brand/country ('All' for total)
--   mom_growth: revenue / revenue of the previous calendar month - 1 (NULL if that month had no sales)
--   yoy_growth: revenue / revenue of the same month a year earlier - 1 (NULL if none)
--   revenue_ma3: mean revenue of this and the two previous calendar months (months without sales count 0)
--   partial_month: the last month of daily data, when it ends before the month does (forecasts and charts
--                  leave it out); never for monthly data (order_grain: declared, or every date on the 1st)
WITH lines AS (
    SELECT
        CAST(date_trunc('month', l.order_ts) AS DATE) AS month,
        l.order_id,
        l.customer_id,
        l.revenue,
        coalesce(p.category, 'Unknown') AS category,
        coalesce(p.brand, 'Unknown') AS brand,
        coalesce(c.country, 'Unknown') AS country
    FROM stg_order_lines AS l
    LEFT JOIN stg_products AS p ON p.product_id = l.product_id
    LEFT JOIN stg_customers AS c ON c.customer_id = l.customer_id
),
monthly AS (
    SELECT 'total' AS dimension, 'All' AS key, month, sum(revenue) AS revenue,
           count(DISTINCT order_id) AS orders, count(DISTINCT customer_id) AS customers
    FROM lines GROUP BY month
    UNION ALL
    SELECT 'category', category, month, sum(revenue), count(DISTINCT order_id), count(DISTINCT customer_id)
    FROM lines GROUP BY category, month
    UNION ALL
    SELECT 'brand', brand, month, sum(revenue), count(DISTINCT order_id), count(DISTINCT customer_id)
    FROM lines GROUP BY brand, month
    UNION ALL
    SELECT 'country', country, month, sum(revenue), count(DISTINCT order_id), count(DISTINCT customer_id)
    FROM lines GROUP BY country, month
)
SELECT
    m.dimension,
    m.key,
    m.month,
    m.revenue,
    m.orders,
    m.customers,
    m.revenue / prev.revenue - 1 AS mom_growth,
    m.revenue / last_year.revenue - 1 AS yoy_growth,
    (m.revenue + coalesce(prev.revenue, 0) + coalesce(prev2.revenue, 0)) / 3 AS revenue_ma3,
    m.month = CAST(date_trunc('month', e.last_ts) AS DATE)
        AND CAST(e.last_ts AS DATE) < CAST(m.month + INTERVAL 1 MONTH AS DATE) - 1
        AND g.grain = 'day' AS partial_month
FROM monthly AS m
CROSS JOIN (SELECT max(order_ts) AS last_ts FROM stg_order_lines) AS e
CROSS JOIN order_grain AS g
LEFT JOIN monthly AS prev
    ON prev.dimension = m.dimension AND prev.key = m.key AND prev.month = CAST(m.month - INTERVAL 1 MONTH AS DATE)
LEFT JOIN monthly AS prev2
    ON prev2.dimension = m.dimension AND prev2.key = m.key AND prev2.month = CAST(m.month - INTERVAL 2 MONTH AS DATE)
LEFT JOIN monthly AS last_year
    ON last_year.dimension = m.dimension AND last_year.key = m.key
   AND last_year.month = CAST(m.month - INTERVAL 12 MONTH AS DATE)
