-- marketsql: materialized
-- marketsql: requires clv
-- What each customer is worth and whether they are still a customer (model kind clv, BG/NBD + Gamma-Gamma,
-- fitted on every purchase up to the analysis date), one row per customer of clv_summary:
--   p_alive                    probability the customer has not dropped out (BG/NBD closed form)
--   expected_purchases_90d/365d expected purchase days in the next 90 / 365 days (BG/NBD, Gauss 2F1)
--   expected_order_value       Gamma-Gamma expected spend per purchase day (the population mean with no repeat)
--   clv_12m                    expected_order_value x expected purchases per 30-day month over 12 months,
--                              discounted monthly at the model's annual rate (lifetimes' customer_lifetime_value)
--   clv_horizon                the same over the model's horizon (--horizon-days, in whole 30-day months)
--   value_tier                 by clv_horizon: 'top 10 %', 'next 20 %', 'middle 30 %', 'bottom 40 %'
-- Computed at build by the model's Arrow UDFs and stored as a table, so every client reads it.
WITH scored AS (
    SELECT
        s.customer_id,
        s.frequency,
        s.recency_days,
        s.age_days,
        s.monetary_value,
        s.revenue,
        p_alive(s.frequency, s.recency_days, s.age_days) AS p_alive,
        expected_purchases_at(s.frequency, s.recency_days, s.age_days, 90) AS expected_purchases_90d,
        expected_purchases_at(s.frequency, s.recency_days, s.age_days, 365) AS expected_purchases_365d,
        expected_order_value(s.frequency, s.monetary_value) AS expected_order_value,
        clv_at(s.frequency, s.recency_days, s.age_days, s.monetary_value, 12, p.annual_discount) AS clv_12m,
        clv_at(s.frequency, s.recency_days, s.age_days, s.monetary_value,
               greatest(round(p.horizon_days / 30.0), 1), p.annual_discount) AS clv_horizon,
        p.horizon_days,
        p.annual_discount,
        p.model_version
    FROM clv_summary AS s
    CROSS JOIN clv_parameters() AS p
)
SELECT
    * EXCLUDE (rank_share),
    CASE
        WHEN rank_share <= 0.1 THEN 'top 10 %'
        WHEN rank_share <= 0.3 THEN 'next 20 %'
        WHEN rank_share <= 0.6 THEN 'middle 30 %'
        ELSE 'bottom 40 %'
    END AS value_tier
FROM (
    SELECT *, row_number() OVER (ORDER BY clv_horizon DESC, customer_id) / count(*) OVER () AS rank_share
    FROM scored
) AS ranked
