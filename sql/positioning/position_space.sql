-- marketsql: materialized
-- marketsql: requires positioning
-- Long form: every positioned product of the model's category × dimension of the competitor space
-- (each attribute, standardised as the model does it — missing value = training median, log1p where the
-- model logs it — then the standardised log price). z feeds the map, the competitors and the expected values.
WITH params AS (
    SELECT * FROM meta.position_parameters
),
products AS (
    SELECT p.product_id, p.price
    FROM position_products AS p
    JOIN params AS m ON p.category = m.category
),
grid AS (
    SELECT p.product_id, a.attribute, a.log_transform, a.median, a.center, a.scale
    FROM products AS p
    CROSS JOIN meta.position_attributes AS a
),
valued AS (
    SELECT g.product_id, g.attribute, g.log_transform, g.center, g.scale, coalesce(v.value, g.median) AS value
    FROM grid AS g
    LEFT JOIN stg_product_attributes AS v ON v.product_id = g.product_id AND v.attribute = g.attribute
)
SELECT
    product_id,
    attribute AS dimension,
    value,
    ((CASE WHEN log_transform THEN ln(1 + greatest(value, 0)) ELSE value END) - center) / scale AS z
FROM valued
UNION ALL
SELECT p.product_id, 'price', p.price, (ln(p.price) - m.price_center) / m.price_scale
FROM products AS p
CROSS JOIN params AS m
