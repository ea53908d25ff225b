-- marketsql: materialized
-- Marketing spend and what it acquired, one row per channel and month of the spend data:
--   spend                 sum of stg_marketing_spend in the month
--   new_customers         customers whose acquired_on falls in the month, credited to the channel (stg_acquisitions)
--   attributed_revenue    purchases of those customers from their signup day up to attribution_days later
--                         (budget_settings; default 90 days), whenever those purchases happen
--   window_complete       false when the data ends before the attribution window of the month's last signup
--                         closes: attributed_revenue (and ROI) of that month is still growing, compare with care
--   roi                   (attributed_revenue - spend) / spend: revenue, not margin, over the window only
--   cac                   spend / new_customers (acquisition cost; NULL without new customers)
--   partial_month         daily spend data ends before the month does (never for monthly spend)
-- Customers acquired outside the months of the spend data (e.g. an older base) are not counted.
WITH spend AS (
    SELECT channel, CAST(date_trunc('month', date) AS DATE) AS month, sum(spend) AS spend
    FROM stg_marketing_spend
    GROUP BY channel, CAST(date_trunc('month', date) AS DATE)
),
grain AS (  -- 'month' if declared (grain = "month" on the source) or every spend row is dated on the 1st
    SELECT coalesce(
        (SELECT value FROM raw.settings WHERE key = 'grain.marketing_spend'),
        (SELECT CASE WHEN count(DISTINCT date) >= 3 AND bool_and(extract(day FROM date) = 1) THEN 'month' END
         FROM stg_marketing_spend),
        'day'
    ) AS grain
),
span AS (  -- monthly spend dated on the 1st covers its whole month
    SELECT
        min(date) AS first_day,
        CASE WHEN max(g.grain) = 'month' THEN CAST(date_trunc('month', max(date)) + INTERVAL 1 MONTH AS DATE) - 1
             ELSE max(date) END AS last_day,
        max(g.grain) AS grain
    FROM stg_marketing_spend CROSS JOIN grain AS g
),
acquired AS (
    SELECT a.customer_id, a.channel, a.acquired_on, CAST(date_trunc('month', a.acquired_on) AS DATE) AS month
    FROM stg_acquisitions AS a
    CROSS JOIN span
    WHERE a.acquired_on >= CAST(date_trunc('month', span.first_day) AS DATE) AND a.acquired_on <= span.last_day
),
credited AS (
    SELECT a.channel, a.month, a.customer_id, coalesce(sum(l.revenue), 0) AS revenue
    FROM acquired AS a
    CROSS JOIN budget_settings AS s
    LEFT JOIN stg_order_lines AS l
        ON l.customer_id = a.customer_id
       AND l.order_ts >= a.acquired_on
       AND l.order_ts < a.acquired_on + s.attribution_days
    GROUP BY a.channel, a.month, a.customer_id
),
acquisitions AS (
    SELECT channel, month, count(*) AS new_customers, sum(revenue) AS attributed_revenue
    FROM credited
    GROUP BY channel, month
),
joined AS (
    SELECT
        coalesce(s.channel, a.channel) AS channel,
        coalesce(s.month, a.month) AS month,
        coalesce(s.spend, 0) AS spend,
        coalesce(a.new_customers, 0) AS new_customers,
        coalesce(a.attributed_revenue, 0) AS attributed_revenue
    FROM spend AS s
    FULL OUTER JOIN acquisitions AS a ON a.channel = s.channel AND a.month = s.month
)
SELECT
    j.channel,
    j.month,
    j.spend,
    j.new_customers,
    j.attributed_revenue,
    s.attribution_days,
    CAST(j.month + INTERVAL 1 MONTH AS DATE) - 1 + s.attribution_days
        <= (SELECT CAST(max(order_ts) AS DATE) FROM stg_order_lines) AS window_complete,
    CASE WHEN j.spend > 0 THEN (j.attributed_revenue - j.spend) / j.spend END AS roi,
    CASE WHEN j.new_customers > 0 THEN j.spend / j.new_customers END AS cac,
    CASE WHEN j.new_customers > 0 THEN j.attributed_revenue / j.new_customers END AS revenue_per_new_customer,
    span.last_day < CAST(j.month + INTERVAL 1 MONTH AS DATE) - 1 AND span.grain = 'day' AS partial_month
FROM joined AS j
CROSS JOIN budget_settings AS s
CROSS JOIN span
