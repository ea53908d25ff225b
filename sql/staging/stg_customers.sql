-- Staging contract: one row per customer.
-- customer_id, country, first_order_ts, then optional attributes.
-- Every customer of the order lines and of the customers source (optional: without one, the
-- customers are those of the order lines, with no country or attributes).
-- marketsql: optional raw.customers(customer_id VARCHAR, country VARCHAR, signup_date DATE, acquisition_channel VARCHAR, age INTEGER)
WITH ids AS (
    SELECT customer_id FROM raw.customers
    UNION
    SELECT customer_id FROM stg_order_lines
)
SELECT
    ids.customer_id,
    c.country,
    f.first_order_ts,
    c.signup_date,
    c.acquisition_channel,
    c.age
FROM ids
LEFT JOIN raw.customers AS c USING (customer_id)
LEFT JOIN (
    SELECT customer_id, min(order_ts) AS first_order_ts
    FROM stg_order_lines
    GROUP BY customer_id
) AS f USING (customer_id)
