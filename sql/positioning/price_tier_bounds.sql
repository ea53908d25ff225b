-- Per category and price tier: how many products, the price range and the median price.
SELECT
    category,
    tier_rank,
    price_tier,
    count(*) AS products,
    min(price) AS min_price,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY price) AS median_price,
    max(price) AS max_price
FROM price_tiers
GROUP BY category, tier_rank, price_tier
