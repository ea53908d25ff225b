-- marketsql: materialized
-- marketsql: requires positioning
-- The perceptual map: one row per positioned product with its coordinates (x, y: the two principal
-- components of the standardised attributes, see position_axes), price tier, sales, the price the model
-- expects from its attributes and brand (the served price model, which reads the attributes its own way:
-- meta.position_attributes.price_log_transform, price_center, price_scale), and how far its actual price is from that.
WITH params AS (
    SELECT * FROM meta.position_parameters
),
scores AS (
    SELECT
        s.product_id,
        sum(s.z * a.loading_x) AS x_raw,
        sum(s.z * a.loading_y) AS y_raw,
        sum(((CASE WHEN a.price_log_transform THEN ln(1 + greatest(s.value, 0)) ELSE s.value END)
            - a.price_center) / a.price_scale * a.price_coef) AS price_raw,
        sum(s.z * a.sales_coef) AS sales_raw
    FROM position_space AS s
    JOIN meta.position_attributes AS a ON a.attribute = s.dimension
    GROUP BY s.product_id
),
price_z AS (
    SELECT product_id, z FROM position_space WHERE dimension = 'price'
),
expected AS (
    SELECT
        c.product_id,
        c.x_raw - m.offset_x AS x,
        c.y_raw - m.offset_y AS y,
        exp(m.price_intercept + c.price_raw + coalesce(b.price_effect, 0)) AS expected_price,
        exp(m.sales_intercept + c.sales_raw + coalesce(b.sales_effect, 0) + m.sales_price_coef * pz.z) - 1
            AS expected_units
    FROM scores AS c
    JOIN price_z AS pz ON pz.product_id = c.product_id
    JOIN position_products AS p ON p.product_id = c.product_id
    CROSS JOIN params AS m
    LEFT JOIN meta.position_brands AS b ON b.brand = p.brand_key
)
SELECT
    p.product_id,
    p.product_name,
    p.brand,
    p.category,
    p.price,
    t.price_tier,
    t.tier_rank,
    e.x,
    e.y,
    p.units,
    p.revenue,
    p.units_per_month,
    e.expected_price,
    p.price / e.expected_price - 1 AS price_gap,
    greatest(e.expected_units, 0) AS expected_units_per_month
FROM expected AS e
JOIN position_products AS p ON p.product_id = e.product_id
JOIN price_tiers AS t ON t.product_id = e.product_id
