-- No order lines, so nothing is quarantined (the base project's version reads raw.order_lines).
SELECT reason, _source_row FROM dq_order_lines WHERE disposition = 'quarantine'
