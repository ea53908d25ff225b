-- marketsql: requires positioning
-- How well the price and sales models predict products they were not fitted on (the holdout: the
-- newest launches, or a random quarter without sales dates), beside the brand-mean and overall-mean
-- baselines. r2_holdout on the log scale; median_abs_pct_error on prices / units per month.
SELECT
    q.model,
    q.predictor,
    q.r2_holdout,
    q.median_abs_pct_error,
    q.n_train,
    q.n_test,
    q.r2_holdout > b.r2_holdout AS beats_brand_mean
FROM meta.position_quality AS q
JOIN meta.position_quality AS b ON b.model = q.model AND b.predictor = 'brand_mean'
