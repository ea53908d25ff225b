-- The classic RFM baseline: quintile scores 1-5 (5 = most recent / most frequent / highest spend) from
-- percentile ranks with ties averaged, so equal values always get equal scores (the same rule as
-- marketsql.models.segmentation.train.rfm_scores), and the usual named segments from the R and F scores:
--   R 1-2: Lost (R1 F1), Hibernating (F1-2), At risk (F3-4), Can't lose them (F5)
--   R 3:   About to sleep (F1-2), Need attention (F3), Loyal customers (F4-5)
--   R 4:   Promising (F1), Potential loyalists (F2-3), Loyal customers (F4-5)
--   R 5:   New customers (F1), Potential loyalists (F2-3), Champions (F4-5)
WITH ranked AS (
    SELECT
        customer_id,
        (rank() OVER (ORDER BY recency_days) + (count(*) OVER (PARTITION BY recency_days) - 1) / 2.0)
            / count(*) OVER () AS r_pct,
        (rank() OVER (ORDER BY frequency) + (count(*) OVER (PARTITION BY frequency) - 1) / 2.0)
            / count(*) OVER () AS f_pct,
        (rank() OVER (ORDER BY monetary) + (count(*) OVER (PARTITION BY monetary) - 1) / 2.0)
            / count(*) OVER () AS m_pct
    FROM customer_features
),
scored AS (
    SELECT
        customer_id,
        6 - CAST(least(greatest(ceil(r_pct * 5), 1), 5) AS INTEGER) AS r_score,
        CAST(least(greatest(ceil(f_pct * 5), 1), 5) AS INTEGER) AS f_score,
        CAST(least(greatest(ceil(m_pct * 5), 1), 5) AS INTEGER) AS m_score
    FROM ranked
)
SELECT
    customer_id,
    r_score,
    f_score,
    m_score,
    CAST(r_score AS VARCHAR) || CAST(f_score AS VARCHAR) || CAST(m_score AS VARCHAR) AS rfm_cell,
    CASE
        WHEN r_score = 1 AND f_score = 1 THEN 'Lost'
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
