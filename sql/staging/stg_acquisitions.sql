-- Staging contract (optional): how each customer was acquired, one row per customer.
-- customer_id, channel (the marketing channel credited with the signup), acquired_on (signup day).
-- Without a customers source (or without signup dates and channels in it) this view is empty.
SELECT
    customer_id,
    acquisition_channel AS channel,
    CAST(signup_date AS DATE) AS acquired_on
FROM stg_customers
WHERE acquisition_channel IS NOT NULL AND signup_date IS NOT NULL
