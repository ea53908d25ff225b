-- marketsql: materialized
-- marketsql: requires forecast
-- The holdout behind sales_forecast: the last months of each series, forecast from the months before
-- by the ETS model and by the baseline, beside what happened (actual).
SELECT * FROM forecast_holdout_points()
