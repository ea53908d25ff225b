-- Staging contract: one row per customer.
-- customer_id, country, first_order_ts, then optional attributes.
SELECT
    c.customer_id,
    c.country,
    f.first_order_ts,
    c.signup_date,
    c.acquisition_channel,
    c.age
FROM raw.customers AS c
LEFT JOIN (
    SELECT customer_id, min(order_ts) AS first_order_ts
    FROM stg_order_lines
    GROUP BY customer_id
) AS f USING (customer_id)
