-- One row per customer with a purchase: the country of most of their lines, and the first purchase.
WITH by_country AS (
    SELECT customer_id, country, count(*) AS lines, min(order_ts) AS first_ts
    FROM dq_order_lines
    WHERE disposition = 'purchase'
    GROUP BY customer_id, country
),
ranked AS (
    SELECT customer_id, country,
           min(first_ts) OVER (PARTITION BY customer_id) AS first_order_ts,
           row_number() OVER (PARTITION BY customer_id ORDER BY lines DESC, country) AS rank
    FROM by_country
)
SELECT customer_id, country, first_order_ts
FROM ranked
WHERE rank = 1
