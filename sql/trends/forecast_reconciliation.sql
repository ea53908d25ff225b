-- marketsql: materialized
-- marketsql: requires forecast
-- How the forecasts were made to add up, per measure: each reconciliation (bottom_up, ols, mint_shrink) and the
-- unreconciled base forecasts ("base"), scored by MASE over the series and the rolling origins; chosen = the one
-- sales_forecast serves (the lowest of the three; base is shown for what coherence costs or gains).
SELECT * FROM forecast_reconciliation_points()
