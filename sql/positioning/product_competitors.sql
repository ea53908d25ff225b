-- marketsql: materialized
-- marketsql: requires positioning
-- For every positioned product, its 5 nearest competitors: Euclidean distance over the standardised
-- attributes and the standardised log price (the same space as nearest_products() and `marketsql position`),
-- ties by competitor id. Found when the model is trained (a k-d tree, not every pair: 100 k products in
-- seconds, see marketsql/models/positioning/competitors.py) and stored in meta.position_competitors.
SELECT
    c.product_id,
    c.competitor_rank,
    c.competitor_id,
    m.product_name AS competitor_name,
    m.brand AS competitor_brand,
    m.price AS competitor_price,
    m.price_tier AS competitor_price_tier,
    c.distance
FROM meta.position_competitors AS c
JOIN position_map AS m ON m.product_id = c.competitor_id
WHERE c.product_id IN (SELECT product_id FROM position_map)
