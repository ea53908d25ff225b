-- marketsql: materialized
-- One row per customer with a purchase before the analysis date: the buy-till-you-die summary of the clv model,
-- with lifetimes' conventions (summary_data_from_transaction_data / calibration_and_holdout_data, freq 'D').
-- A "purchase" is a purchase day: a customer's orders of one day count once, with that day's revenue.
--   frequency            repeat purchase days: distinct purchase days - 1
--   recency_days         days from the first to the last purchase day (0 with one purchase day)
--   age_days             days from the first purchase day to observation_end (lifetimes' T)
--   monetary_value       mean revenue of the repeat purchase days (the first day excluded); 0 when frequency = 0
-- The same as of calibration_end (inclusive) for customers who bought by then (NULL for later customers):
--   frequency_cal, recency_cal_days, age_cal_days, monetary_value_cal (and revenue_cal: all calibration revenue)
-- and their holdout actuals, after calibration_end up to observation_end (clv_settings):
--   frequency_holdout    purchase days in the holdout (lifetimes' frequency_holdout; every day counts)
--   revenue_holdout      revenue in the holdout
-- Revenue is summed as DECIMAL(38, 6), exactly (see customer_features): a float sum's last bit would vary from
-- build to build.
WITH settings AS (
    SELECT calibration_end, observation_end, holdout_days FROM clv_settings
),
purchase_days AS (
    SELECT customer_id, CAST(order_ts AS DATE) AS day, sum(CAST(revenue AS DECIMAL(38, 6))) AS revenue
    FROM stg_order_lines
    WHERE order_ts < (SELECT analysis_date FROM analysis_date)
    GROUP BY customer_id, CAST(order_ts AS DATE)
),
marked AS (
    SELECT customer_id, day, revenue, min(day) OVER (PARTITION BY customer_id) AS first_day
    FROM purchase_days
),
whole AS (
    SELECT customer_id, min(day) AS first_day, max(day) AS last_day, count(*) - 1 AS frequency,
           coalesce(avg(CASE WHEN day > first_day THEN revenue END), 0) AS monetary_value,
           sum(revenue) AS revenue
    FROM marked
    GROUP BY customer_id
),
calibration AS (
    SELECT customer_id, max(day) AS last_day, count(*) - 1 AS frequency,
           coalesce(avg(CASE WHEN day > first_day THEN revenue END), 0) AS monetary_value,
           sum(revenue) AS revenue
    FROM marked
    WHERE day <= (SELECT calibration_end FROM settings)
    GROUP BY customer_id
),
holdout AS (
    SELECT customer_id, count(*) AS frequency, sum(revenue) AS revenue
    FROM marked
    WHERE day > (SELECT calibration_end FROM settings)
    GROUP BY customer_id
)
SELECT
    w.customer_id,
    w.frequency,
    date_diff('day', w.first_day, w.last_day) AS recency_days,
    date_diff('day', w.first_day, s.observation_end) AS age_days,
    CAST(w.monetary_value AS DOUBLE) AS monetary_value,
    CAST(w.revenue AS DOUBLE) AS revenue,  -- all purchase revenue, the first day included
    w.first_day AS first_purchase_day,
    w.last_day AS last_purchase_day,
    c.frequency AS frequency_cal,
    date_diff('day', w.first_day, c.last_day) AS recency_cal_days,
    CASE WHEN c.customer_id IS NOT NULL THEN date_diff('day', w.first_day, s.calibration_end) END AS age_cal_days,
    CAST(c.monetary_value AS DOUBLE) AS monetary_value_cal,
    CAST(c.revenue AS DOUBLE) AS revenue_cal,
    CASE WHEN c.customer_id IS NOT NULL THEN coalesce(h.frequency, 0) END AS frequency_holdout,
    CASE WHEN c.customer_id IS NOT NULL THEN CAST(coalesce(h.revenue, 0) AS DOUBLE) END AS revenue_holdout,
    s.calibration_end,
    s.observation_end,
    s.holdout_days
FROM whole AS w
CROSS JOIN settings AS s
LEFT JOIN calibration AS c ON c.customer_id = w.customer_id
LEFT JOIN holdout AS h ON h.customer_id = w.customer_id
