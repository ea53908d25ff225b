-- marketsql: materialized
-- marketsql: requires forecast
-- Revenue forecast for the next months (`marketsql train forecast --horizon N`), one row per series and month:
--   dimension 'total' (category 'All') or 'category'; forecast with an interval [lower, upper] of coverage
--   `level` (0.8 = 80 %); method = what made it: the ETS form or the baseline (seasonal naive / naive),
--   whichever had the lower MAE on the holdout (forecast_accuracy). Trained on complete months only.
SELECT * FROM forecast_points()
