-- Raw order lines that cleaning rejected, exactly as loaded, with the reason.
-- It reads raw.order_lines, so it lives in staging: rewrite it with dq_order_lines if the raw shape differs.
-- marketsql: optional raw.order_lines(order_id VARCHAR, order_ts TIMESTAMP, customer_id VARCHAR, product_id VARCHAR, quantity INTEGER, unit_price DOUBLE, sales_channel VARCHAR)
SELECT q.reason, r.*
FROM dq_order_lines AS q
JOIN raw.order_lines AS r USING (_source_row)
WHERE q.disposition = 'quarantine'
