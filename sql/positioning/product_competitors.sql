-- marketsql: materialized
-- marketsql: requires positioning
-- For every positioned product, its 5 nearest competitors: Euclidean distance over the standardised
-- attributes and the standardised log price (the same space as nearest_products() and `marketsql position`).
WITH distances AS (
    SELECT a.product_id, b.product_id AS competitor_id, sqrt(sum((a.z - b.z) * (a.z - b.z))) AS distance
    FROM position_space AS a
    JOIN position_space AS b ON b.dimension = a.dimension AND b.product_id <> a.product_id
    GROUP BY a.product_id, b.product_id
),
ranked AS (
    SELECT product_id, competitor_id, distance,
           row_number() OVER (PARTITION BY product_id ORDER BY distance, competitor_id) AS competitor_rank
    FROM distances
)
SELECT
    r.product_id,
    r.competitor_rank,
    r.competitor_id,
    m.product_name AS competitor_name,
    m.brand AS competitor_brand,
    m.price AS competitor_price,
    m.price_tier AS competitor_price_tier,
    r.distance
FROM ranked AS r
JOIN position_map AS m ON m.product_id = r.competitor_id
WHERE r.competitor_rank <= 5
