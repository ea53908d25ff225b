-- Campaign contract (model kind uplift): one row per customer of a randomised campaign.
--   customer_id, treatment (the arm; 'control' for customers randomly left out), visit and conversion (0/1),
--   spend, then numeric features known before the campaign (text mapped to 0/1 columns here).
-- Demo: the e-mail campaign planted by the generator (data/demo/campaign.parquet) on the day after the data
-- ends, with the customers' features as of analysis_date. A project without a campaign source gets the contract
-- with no rows:
-- marketsql: optional raw.customers(customer_id VARCHAR, country VARCHAR, signup_date DATE, acquisition_channel VARCHAR, age INTEGER)
-- marketsql: optional raw.campaign(customer_id VARCHAR, treatment VARCHAR, visit INTEGER, conversion INTEGER, spend DOUBLE)
SELECT
    c.customer_id,
    c.treatment,
    c.visit,
    c.conversion,
    c.spend,
    CAST(s.age AS DOUBLE) AS age,
    CAST(f.recency_days AS DOUBLE) AS recency_days,
    CAST(f.frequency AS DOUBLE) AS frequency,
    CAST(f.monetary AS DOUBLE) AS monetary,
    CAST(f.tenure_days AS DOUBLE) AS tenure_days
FROM raw.campaign AS c
LEFT JOIN (SELECT customer_id, any_value(age) AS age FROM raw.customers GROUP BY ALL) AS s USING (customer_id)
LEFT JOIN customer_features AS f USING (customer_id)
