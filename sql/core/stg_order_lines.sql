-- Staging contract: purchase lines only, one row per line.
-- order_id, order_ts, customer_id, product_id, quantity, unit_price, revenue
SELECT order_id, order_ts, customer_id, product_id, quantity, unit_price, revenue
FROM dq_order_lines
WHERE disposition = 'purchase'
