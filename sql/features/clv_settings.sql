-- The periods of the customer-value model (kind clv), in whole days, with lifetimes' conventions:
--   observation_end   the last day counted: the day before analysis_date (purchases strictly before it count)
--   calibration_end   the last day of the calibration period, inclusive: setting clv_calibration_end, or by
--                     default the day that leaves the last 25 % of the period (first purchase .. observation_end)
--                     for the holdout
--   holdout_days      observation_end - calibration_end (lifetimes' duration_holdout)
WITH bounds AS (
    SELECT
        min(CAST(order_ts AS DATE)) AS first_purchase_day,
        CAST(max(a.analysis_date) - 1 AS DATE) AS observation_end
    FROM stg_order_lines AS l
    CROSS JOIN analysis_date AS a
    WHERE l.order_ts < a.analysis_date
),
chosen AS (
    SELECT
        first_purchase_day,
        observation_end,
        coalesce(
            (SELECT CAST(value AS DATE) FROM raw.settings WHERE key = 'clv_calibration_end'),
            CAST(observation_end - CAST(round(0.25 * date_diff('day', first_purchase_day, observation_end))
                AS INTEGER) AS DATE)
        ) AS calibration_end
    FROM bounds
)
SELECT
    first_purchase_day,
    calibration_end,
    observation_end,
    date_diff('day', calibration_end, observation_end) AS holdout_days
FROM chosen
