-- marketsql: materialized
-- marketsql: requires uplift
-- The active uplift model's score for every customer of campaign_customers and every treatment arm:
--   uplift  the served method's estimate of (P(outcome | arm) − P(outcome | control)); where response propensity
--           is served (no uplift model beat it on the holdout: see `marketsql models`) it is P(outcome | arm)
--   decile  1 = the tenth of the customers to target first for that arm
-- The features reach the model's numpy trees by name (a long form of campaign_customers), so any project's
-- contract works; computed at build by the Arrow UDF uplift_score and stored as a table any client reads.
WITH long_form AS (
    SELECT *
    FROM (SELECT * EXCLUDE (treatment, visit, conversion, spend) FROM campaign_customers) AS wide
    UNPIVOT INCLUDE NULLS (value FOR feature IN (COLUMNS(* EXCLUDE (customer_id))))
),
features AS (
    SELECT customer_id, list(feature ORDER BY feature) AS names, list(CAST(value AS DOUBLE) ORDER BY feature) AS vals
    FROM long_form
    GROUP BY customer_id
),
scored AS (
    SELECT c.customer_id, c.treatment, a.arm, uplift_score(a.arm, f.names, f.vals) AS uplift, a.method,
           a.model_version
    FROM campaign_customers AS c
    JOIN features AS f USING (customer_id)
    CROSS JOIN uplift_arms() AS a
)
SELECT
    customer_id,
    treatment,
    arm,
    uplift,
    CAST(ntile(10) OVER (PARTITION BY arm ORDER BY uplift DESC, customer_id) AS INTEGER) AS decile,
    method,
    model_version
FROM scored
