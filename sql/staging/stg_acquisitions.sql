-- Staging contract (optional): how each customer was acquired, one row per customer.
-- customer_id, channel (the marketing channel credited with the signup), acquired_on (signup day).
-- A project without acquisition data overrides this file with an empty SELECT of the same columns.
SELECT
    customer_id,
    acquisition_channel AS channel,
    CAST(signup_date AS DATE) AS acquired_on
FROM stg_customers
WHERE acquisition_channel IS NOT NULL AND signup_date IS NOT NULL
