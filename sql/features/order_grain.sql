-- How finely the order lines are dated: 'month' when the source declares grain = "month", or when
-- every purchase is dated at midnight on the 1st of a month (over 3 months or more); else 'day'.
-- A partial last month is dropped (sales_by_month.partial_month) only when the grain is 'day'.
SELECT coalesce(
    (SELECT value FROM raw.settings WHERE key = 'grain.order_lines'),
    (SELECT CASE WHEN count(DISTINCT CAST(order_ts AS DATE)) >= 3
                  AND bool_and(day(order_ts) = 1 AND CAST(order_ts AS TIME) = TIME '00:00:00') THEN 'month' END
     FROM stg_order_lines),
    'day'
) AS grain
