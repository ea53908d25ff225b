-- Staging contract (optional): marketing spend, one row per day and channel.
-- date, channel, spend (>= 0, in the currency of the order lines). A project without spend data
-- declares no marketing_spend source: the view is then empty (and the budget model says "no spend").
-- marketsql: optional raw.marketing_spend(date DATE, channel VARCHAR, spend DOUBLE)
-- A row without a finite spend (NULL, NaN, ±infinity) records no spend and is left out.
-- (abs(x) < 'Infinity' is false for NaN and ±infinity, and runs on PostgreSQL, which has no isfinite(float).)
SELECT
    CAST(date AS DATE) AS date,
    CAST(channel AS VARCHAR) AS channel,
    CAST(spend AS DOUBLE) AS spend
FROM raw.marketing_spend
WHERE abs(CAST(spend AS DOUBLE)) < CAST('Infinity' AS DOUBLE)
