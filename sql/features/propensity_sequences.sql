-- marketsql: requires propensity
-- What the Keras sequence candidate of the propensity model reads: per customer, the last 20 order lines before the
-- analysis date (step 1 = the latest) — product, category and days before the analysis date. Training reruns this
-- same SQL as of each cutoff (marketsql/models/propensity/sequences.py), so a step is always a purchase before the
-- cutoff; customer_propensity gathers the steps into lists (only a target served by the Keras network reads them).
-- One row per step (no lists), so the view runs on PostgreSQL too.
WITH as_of AS (
    SELECT analysis_date FROM analysis_date
),
ranked AS (
    SELECT
        CAST(l.customer_id AS VARCHAR) AS customer_id,
        CAST(l.product_id AS VARCHAR) AS product_id,
        coalesce(CAST(p.category AS VARCHAR), '') AS category,
        CAST(date_diff('day', CAST(l.order_ts AS DATE), (SELECT analysis_date FROM as_of)) AS DOUBLE) AS days,
        row_number() OVER (PARTITION BY l.customer_id ORDER BY l.order_ts DESC, l.product_id DESC) AS step
    FROM stg_order_lines AS l
    LEFT JOIN stg_products AS p ON p.product_id = l.product_id
    WHERE l.order_ts < (SELECT analysis_date FROM as_of)
)
SELECT customer_id, step, product_id, category, days
FROM ranked
WHERE step <= 20
