-- Price tier of every positioned product within its category, by price rank (ties share a tier):
-- budget (cheapest 25 %), mid-range (to 50 %), upper mid-range (to 75 %), premium (the dearest 25 %).
WITH ranked AS (
    SELECT product_id, product_name, category, brand, price,
           cume_dist() OVER (PARTITION BY category ORDER BY price) AS price_percentile
    FROM position_products
)
SELECT
    product_id,
    product_name,
    category,
    brand,
    price,
    price_percentile,
    CASE WHEN price_percentile <= 0.25 THEN 1
         WHEN price_percentile <= 0.50 THEN 2
         WHEN price_percentile <= 0.75 THEN 3
         ELSE 4 END AS tier_rank,
    CASE WHEN price_percentile <= 0.25 THEN 'budget'
         WHEN price_percentile <= 0.50 THEN 'mid-range'
         WHEN price_percentile <= 0.75 THEN 'upper mid-range'
         ELSE 'premium' END AS price_tier
FROM ranked
