-- marketsql: requires positioning
-- One row per brand of the map: where its products sit on average (a label point for the map), its
-- price range, its sales and share of the category's units, and the model's brand effects on price and
-- sales (against the average brand; NULL for brands with too few products to estimate one).
WITH totals AS (
    SELECT sum(units) AS units FROM position_map
)
SELECT
    m.brand,
    count(*) AS products,
    avg(m.x) AS mean_x,
    avg(m.y) AS mean_y,
    min(m.price) AS min_price,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY m.price) AS median_price,
    max(m.price) AS max_price,
    sum(m.units) AS units,
    sum(m.revenue) AS revenue,
    sum(m.units) / max(t.units) AS share_of_units,
    (exp(max(b.price_effect)) - 1) * 100 AS price_effect_pct,
    (exp(max(b.sales_effect)) - 1) * 100 AS sales_effect_pct
FROM position_map AS m
CROSS JOIN totals AS t
LEFT JOIN meta.position_brands AS b ON b.brand = lower(trim(m.brand))
GROUP BY m.brand
