-- Staging contract: returned lines, with positive quantities and revenue.
-- order_id, order_ts, customer_id, product_id, quantity, unit_price, revenue
SELECT order_id, order_ts, customer_id, product_id, -quantity AS quantity, unit_price, -revenue AS revenue
FROM dq_order_lines
WHERE disposition = 'return'
