-- marketsql: materialized
-- marketsql: requires recommendation, segmentation
-- What to offer each customer segment: the products most often in its customers' personal top 10 (score = share of
-- the segment's customers who get that recommendation), with the product's category and price.
WITH lists AS (
    SELECT segment_id, segment_name, recommend_for_segment(segment_id, 10) AS items
    FROM meta.active_segments
),
ranked AS (
    SELECT segment_id, segment_name, unnest(generate_series(1, len(items))) AS rank, unnest(items) AS item
    FROM lists
)
SELECT
    r.segment_id,
    r.segment_name,
    CAST(r.rank AS INTEGER) AS rank,
    r.item.product_id AS product_id,
    p.product_name,
    p.category,
    p.unit_price,
    r.item.score AS share_of_customers,
    (SELECT source FROM meta.active_recommendation) AS source
FROM ranked AS r
LEFT JOIN stg_products AS p ON CAST(p.product_id AS VARCHAR) = r.item.product_id
ORDER BY r.segment_id, r.rank
