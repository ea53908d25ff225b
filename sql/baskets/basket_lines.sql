-- Market baskets: one row per basket (order) and item (product) bought in it.
-- Another project can replace this file to analyse other baskets; the basket views only need
-- basket_id and item.
SELECT DISTINCT order_id AS basket_id, product_id AS item
FROM stg_order_lines
