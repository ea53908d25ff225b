-- marketsql: materialized
-- marketsql: requires propensity
-- Who will buy (model kind propensity), one row per customer of customer_features and target:
--   probability   calibrated probability of buying the target within the model's horizon after the analysis date
--   decile        1 = the tenth most likely to buy, 10 = the least likely (per target)
--   reason_1..3   the three largest contributions to the score, "feature +0.42" on the log-odds scale (logistic
--                 and baseline: coefficient x standardised value; trees: occlusion, see README)
--   algorithm     what scores this target: logistic, hgb, keras or baseline (when no candidate beat it)
-- Computed at build by the model's macros (plain SQL for logistic/baseline) and Arrow UDFs (trees, the Keras
-- network in numpy, reasons), and stored as a table, so every client reads it. propensity_sequences holds each
-- customer's last purchases, gathered here into lists (only a target served by the Keras network reads them).
WITH scored AS (
    SELECT
        f.customer_id,
        f.target,
        propensity_score_seq(f.target_index, q.seq_products, q.seq_categories, q.seq_days, recency_days, recency_score, log_frequency, log_monetary, tenure_days, log_avg_basket_value,
            avg_basket_lines, log_distinct_products, distinct_categories, interpurchase_days, return_rate,
            top_category_share, target_bought, log_target_orders, target_recency_days, target_share) AS probability,
        propensity_reasons_seq(f.target_index, q.seq_products, q.seq_categories, q.seq_days, recency_days, recency_score, log_frequency, log_monetary, tenure_days, log_avg_basket_value,
            avg_basket_lines, log_distinct_products, distinct_categories, interpurchase_days, return_rate,
            top_category_share, target_bought, log_target_orders, target_recency_days, target_share) AS reasons
    FROM propensity_features AS f
    LEFT JOIN (
        SELECT
            customer_id,
            list(product_id ORDER BY step DESC) AS seq_products,
            list(category ORDER BY step DESC) AS seq_categories,
            list(days ORDER BY step DESC) AS seq_days
        FROM propensity_sequences
        GROUP BY customer_id
    ) AS q ON q.customer_id = CAST(f.customer_id AS VARCHAR)
)
SELECT
    s.customer_id,
    s.target,
    s.probability,
    ntile(10) OVER (PARTITION BY s.target ORDER BY s.probability DESC, s.customer_id) AS decile,
    s.reasons[1] AS reason_1,
    s.reasons[2] AS reason_2,
    s.reasons[3] AS reason_3,
    t.algorithm,
    t.horizon_days,
    t.model_version
FROM scored AS s
JOIN propensity_targets() AS t ON t.target = s.target
