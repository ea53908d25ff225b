-- marketsql: materialized
-- marketsql: requires recommendation
-- The active recommendation model's top 10 for every customer (already-bought products excluded), as a plain
-- table that BI tools and the DuckDB CLI read without Python. source: the model that answered.
WITH lists AS (
    SELECT
        c.customer_id,
        recommend(CAST(c.customer_id AS VARCHAR), 10) AS items,
        recommendation_source(CAST(c.customer_id AS VARCHAR)) AS source
    FROM stg_customers AS c
),
ranked AS (
    SELECT customer_id, source, unnest(generate_series(1, len(items))) AS rank, unnest(items) AS item
    FROM lists
)
SELECT
    r.customer_id,
    CAST(r.rank AS INTEGER) AS rank,
    r.item.product_id AS product_id,
    p.product_name,
    r.item.score AS score,
    r.source
FROM ranked AS r
LEFT JOIN stg_products AS p ON CAST(p.product_id AS VARCHAR) = r.item.product_id
ORDER BY r.customer_id, r.rank
