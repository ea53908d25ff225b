-- marketsql: materialized
-- marketsql: requires forecast
-- Holdout errors per series: MAE, MAPE (months with sales) and sMAPE of the ETS model and of its
-- baseline, the winner (lower MAE) and the method sales_forecast uses.
SELECT * FROM forecast_accuracy_points()
