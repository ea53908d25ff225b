-- No randomised campaign in this data: the campaign contract's columns, no rows (the uplift model says so).
SELECT
    CAST(NULL AS VARCHAR) AS customer_id,
    CAST(NULL AS VARCHAR) AS treatment,
    CAST(NULL AS INTEGER) AS visit,
    CAST(NULL AS INTEGER) AS conversion,
    CAST(NULL AS DOUBLE) AS spend,
    CAST(NULL AS DOUBLE) AS recency_days
WHERE false
