-- The classic RFM baseline: quintile scores 1-5 (5 = most recent / most frequent / highest spend),
-- ties broken by customer_id so the scores are deterministic, and the usual named segments from
-- the recency and frequency scores:
--   R\F   1-2            3                 4            5
--   5     New(F1) / Potential loyalists(F2-3) / Champions(F4-5)
--   4     Promising(F1) / Potential loyalists(F2-3) / Loyal customers(F4-5)
--   3     About to sleep(F1-2) / Need attention(F3) / Loyal customers(F4-5)
--   1-2   Hibernating(F1-2) / At risk(F3-4) / Can't lose them(F5)
WITH scored AS (
    SELECT
        customer_id,
        ntile(5) OVER (ORDER BY recency_days DESC, customer_id) AS r_score,
        ntile(5) OVER (ORDER BY frequency, customer_id) AS f_score,
        ntile(5) OVER (ORDER BY monetary, customer_id) AS m_score
    FROM customer_features
)
SELECT
    customer_id,
    r_score,
    f_score,
    m_score,
    CAST(r_score AS VARCHAR) || CAST(f_score AS VARCHAR) || CAST(m_score AS VARCHAR) AS rfm_cell,
    CASE
        WHEN r_score <= 2 AND f_score <= 2 THEN 'Hibernating'
        WHEN r_score <= 2 AND f_score <= 4 THEN 'At risk'
        WHEN r_score <= 2 THEN 'Can''t lose them'
        WHEN r_score = 3 AND f_score <= 2 THEN 'About to sleep'
        WHEN r_score = 3 AND f_score = 3 THEN 'Need attention'
        WHEN r_score = 4 AND f_score = 1 THEN 'Promising'
        WHEN r_score = 5 AND f_score = 1 THEN 'New customers'
        WHEN f_score <= 3 THEN 'Potential loyalists'
        WHEN r_score = 5 THEN 'Champions'
        ELSE 'Loyal customers'
    END AS rfm_segment
FROM scored
