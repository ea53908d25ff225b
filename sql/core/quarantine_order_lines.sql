-- Raw order lines that cleaning rejected, exactly as loaded, with the reason.
SELECT q.reason, r.*
FROM dq_order_lines AS q
JOIN raw.order_lines AS r USING (_source_row)
WHERE q.disposition = 'quarantine'
