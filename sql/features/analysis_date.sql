-- The day features are computed as of: settings.analysis_date, or the day after the last purchase.
-- Only purchases strictly before this day count.
SELECT coalesce(
    (SELECT CAST(value AS DATE) FROM raw.settings WHERE key = 'analysis_date'),
    (SELECT CAST(max(order_ts) AS DATE) + 1 FROM stg_order_lines)
) AS analysis_date
