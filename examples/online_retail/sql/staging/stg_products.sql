-- One row per stock code sold: its most frequent description, median price, and a category
-- derived from the description by the product_category() UDF (udfs/categories.py).
-- UCI has no brands; brand is NULL.
WITH purchases AS (
    SELECT product_id, product_name, unit_price
    FROM dq_order_lines
    WHERE disposition = 'purchase'
),
names AS (
    SELECT product_id, product_name,
           row_number() OVER (PARTITION BY product_id ORDER BY count(*) DESC, product_name) AS rank
    FROM purchases
    WHERE product_name IS NOT NULL
    GROUP BY product_id, product_name
),
prices AS (
    SELECT product_id, median(unit_price) AS unit_price
    FROM purchases
    GROUP BY product_id
)
SELECT
    p.product_id,
    n.product_name,
    coalesce(product_category(n.product_name), 'Other') AS category,
    CAST(NULL AS VARCHAR) AS brand,
    p.unit_price
FROM prices AS p
LEFT JOIN names AS n ON n.product_id = p.product_id AND n.rank = 1
