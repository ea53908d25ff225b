-- marketsql: materialized
-- One row per customer with a purchase before the analysis date: RFM and behaviour features.
--   recency_days          days from the last purchase to the analysis date
--   frequency             distinct orders;  monetary: purchase revenue
--   tenure_days           days from the first purchase to the analysis date
--   avg_basket_value      revenue per order;  avg_basket_lines: lines per order
--   avg_interpurchase_days mean days between consecutive orders (NULL with one order)
--   return_rate           returned revenue / purchase revenue
-- Revenue is summed as DECIMAL(38, 6), exactly: DuckDB's parallel float sums differ in the last bit from build to
-- build (the order of the additions varies), and a model's tree split or a tie between categories must not.
WITH as_of AS (
    SELECT analysis_date FROM analysis_date
),
purchases AS (
    SELECT l.customer_id, l.order_id, l.order_ts, l.product_id, l.quantity,
           CAST(l.revenue AS DECIMAL(38, 6)) AS revenue, p.category
    FROM stg_order_lines AS l
    LEFT JOIN stg_products AS p ON p.product_id = l.product_id
    WHERE l.order_ts < (SELECT analysis_date FROM as_of)
),
orders AS (
    SELECT customer_id, order_id, min(order_ts) AS order_ts, sum(revenue) AS order_revenue, count(*) AS lines
    FROM purchases
    GROUP BY customer_id, order_id
),
gaps AS (
    SELECT customer_id, avg(gap_days) AS avg_interpurchase_days
    FROM (
        SELECT customer_id,
               date_diff('day', lag(order_ts) OVER (PARTITION BY customer_id ORDER BY order_ts, order_id), order_ts)
                   AS gap_days
        FROM orders
    ) AS g
    GROUP BY customer_id
),
per_order AS (
    SELECT customer_id,
           count(*) AS frequency,
           CAST(sum(order_revenue) AS DOUBLE) AS monetary,
           min(order_ts) AS first_order_ts,
           max(order_ts) AS last_order_ts,
           CAST(avg(order_revenue) AS DOUBLE) AS avg_basket_value,
           avg(lines) AS avg_basket_lines
    FROM orders
    GROUP BY customer_id
),
-- distinct counts as counts of groups: plain GROUP BYs spill to disk at any size, DISTINCT aggregates do not
per_product AS (
    SELECT customer_id, product_id, sum(quantity) AS quantity
    FROM purchases
    GROUP BY customer_id, product_id
),
per_line AS (
    SELECT customer_id, sum(quantity) AS total_quantity, count(*) AS distinct_products
    FROM per_product
    GROUP BY customer_id
),
category_revenue AS (
    SELECT customer_id, category, sum(revenue) AS revenue,
           count(*) OVER (PARTITION BY customer_id) AS distinct_categories,
           row_number() OVER (PARTITION BY customer_id ORDER BY sum(revenue) DESC, category) AS rank
    FROM purchases
    GROUP BY customer_id, category
),
returned AS (
    SELECT customer_id, CAST(sum(CAST(revenue AS DECIMAL(38, 6))) AS DOUBLE) AS returned_revenue
    FROM stg_returns
    WHERE order_ts < (SELECT analysis_date FROM as_of)
    GROUP BY customer_id
)
SELECT
    o.customer_id,
    c.country,
    date_diff('day', CAST(o.last_order_ts AS DATE), a.analysis_date) AS recency_days,
    o.frequency,
    o.monetary,
    date_diff('day', CAST(o.first_order_ts AS DATE), a.analysis_date) AS tenure_days,
    o.avg_basket_value,
    o.avg_basket_lines,
    l.total_quantity,
    l.distinct_products,
    t.distinct_categories,
    g.avg_interpurchase_days,
    coalesce(r.returned_revenue, 0) / o.monetary AS return_rate,
    t.category AS top_category,
    CAST(t.revenue AS DOUBLE) / o.monetary AS top_category_share,
    o.first_order_ts,
    o.last_order_ts,
    a.analysis_date
FROM per_order AS o
CROSS JOIN as_of AS a
JOIN per_line AS l ON l.customer_id = o.customer_id
JOIN gaps AS g ON g.customer_id = o.customer_id
LEFT JOIN category_revenue AS t ON t.customer_id = o.customer_id AND t.rank = 1
LEFT JOIN returned AS r ON r.customer_id = o.customer_id
LEFT JOIN stg_customers AS c ON c.customer_id = o.customer_id
