-- marketsql: materialized
-- Long form: every positioned product × attribute (price included) with its percentile within the
-- category and within its brand (percent_rank: share of the other products with a lower value;
-- 0 = lowest, 1 = highest), beside the category and brand medians. Missing values are left out.
WITH product_values AS (
    SELECT a.product_id, a.attribute, a.value
    FROM stg_product_attributes AS a
    WHERE a.value IS NOT NULL
    UNION ALL
    SELECT product_id, 'price', price FROM position_products
),
valued AS (  -- without the names: the window functions sort these rows twice (the names join at the end)
    SELECT p.product_id, p.category, p.brand, v.attribute, v.value
    FROM product_values AS v
    JOIN position_products AS p ON p.product_id = v.product_id
),
category_medians AS (
    SELECT category, attribute, percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS category_median
    FROM valued
    GROUP BY category, attribute
),
brand_medians AS (
    SELECT category, brand, attribute, percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS brand_median
    FROM valued
    GROUP BY category, brand, attribute
),
ranked AS (
    SELECT
        v.*,
        percent_rank() OVER (PARTITION BY v.category, v.attribute ORDER BY v.value) AS percentile_in_category,
        percent_rank() OVER (PARTITION BY v.category, v.brand, v.attribute ORDER BY v.value) AS percentile_in_brand
    FROM valued AS v
)
SELECT
    r.product_id,
    p.product_name,
    r.category,
    r.brand,
    r.attribute,
    r.value,
    r.percentile_in_category,
    r.percentile_in_brand,
    c.category_median,
    b.brand_median
FROM ranked AS r
JOIN position_products AS p ON p.product_id = r.product_id
JOIN category_medians AS c ON c.category = r.category AND c.attribute = r.attribute
JOIN brand_medians AS b ON b.category = r.category AND b.brand = r.brand AND b.attribute = r.attribute
