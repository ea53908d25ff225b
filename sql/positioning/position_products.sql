-- marketsql: materialized
-- One row per product that has attributes (stg_product_attributes) and a positive price: what the
-- positioning model is trained on. Sales columns are NULL when the project has no order lines at all
-- (a catalogue without sales, e.g. examples/smartphones), never a misleading zero.
-- months_on_sale: from the product's first sale to the analysis date; units_per_month = units / that.
WITH attributed AS (
    SELECT product_id, count(value) AS attributes_known
    FROM stg_product_attributes
    GROUP BY product_id
),
has_sales AS (
    SELECT count(*) > 0 AS any_sales FROM stg_order_lines
),
as_of AS (
    SELECT analysis_date FROM analysis_date
)
SELECT
    f.product_id,
    f.product_name,
    f.category,
    f.brand,
    lower(trim(f.brand)) AS brand_key,
    f.list_price AS price,
    a.attributes_known,
    CASE WHEN h.any_sales THEN f.units END AS units,
    CASE WHEN h.any_sales THEN f.revenue END AS revenue,
    CASE WHEN h.any_sales THEN f.customers END AS customers,
    f.first_sold_ts,
    (CAST(d.analysis_date AS DATE) - CAST(f.first_sold_ts AS DATE)) / 30.4375 AS months_on_sale,
    f.units / nullif((CAST(d.analysis_date AS DATE) - CAST(f.first_sold_ts AS DATE)) / 30.4375, 0)
        AS units_per_month
FROM product_features AS f
JOIN attributed AS a ON a.product_id = f.product_id
CROSS JOIN has_sales AS h
CROSS JOIN as_of AS d
WHERE f.list_price > 0
