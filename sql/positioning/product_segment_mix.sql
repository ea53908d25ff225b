-- marketsql: materialized
-- marketsql: requires segmentation
-- Which customer segments buy each product: buyers, units and revenue per product and segment of the
-- active segmentation model, and the segment's share of the product's buyers.
WITH bought AS (
    SELECT o.product_id, s.segment_id, s.segment_name,
           count(DISTINCT o.customer_id) AS buyers, sum(o.quantity) AS units, sum(o.revenue) AS revenue
    FROM stg_order_lines AS o
    JOIN customer_segments AS s ON s.customer_id = o.customer_id
    GROUP BY o.product_id, s.segment_id, s.segment_name
)
SELECT
    product_id,
    segment_id,
    segment_name,
    buyers,
    units,
    revenue,
    CAST(buyers AS DOUBLE) / sum(buyers) OVER (PARTITION BY product_id) AS share_of_buyers
FROM bought
