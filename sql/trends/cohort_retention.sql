-- Cohort retention matrix, one row per (cohort_month, months_since_first): the share of a cohort
-- (customers whose first purchase fell in cohort_month) who bought again that many months later.
-- months_since_first = 0 is the cohort itself (retention 1).
WITH first_purchase AS (
    SELECT customer_id, CAST(date_trunc('month', min(order_ts)) AS DATE) AS cohort_month
    FROM stg_order_lines
    GROUP BY customer_id
),
active AS (
    SELECT DISTINCT customer_id, CAST(date_trunc('month', order_ts) AS DATE) AS month
    FROM stg_order_lines
),
cohort_size AS (
    SELECT cohort_month, count(*) AS cohort_customers
    FROM first_purchase
    GROUP BY cohort_month
)
SELECT
    f.cohort_month,
    CAST((year(a.month) - year(f.cohort_month)) * 12 + month(a.month) - month(f.cohort_month) AS INTEGER)
        AS months_since_first,
    max(s.cohort_customers) AS cohort_customers,
    count(*) AS active_customers,
    count(*) / max(s.cohort_customers) AS retention
FROM first_purchase AS f
JOIN active AS a ON a.customer_id = f.customer_id
JOIN cohort_size AS s ON s.cohort_month = f.cohort_month
GROUP BY 1, 2
