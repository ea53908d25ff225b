-- marketsql: requires positioning
-- What drives price and sales: one row per model (price, sales) and input. coefficient is on the log
-- scale per standard deviation of the attribute (brands: against the average brand; for sales, price
-- is the standardised log price); effect_pct = (exp(coefficient) - 1) * 100. Correlated attributes
-- share credit (ridge regression): read the ranks together with position_model_quality.
SELECT
    model,
    term_type,
    term,
    coefficient,
    effect_pct,
    row_number() OVER (PARTITION BY model ORDER BY abs(coefficient) DESC, term) AS importance_rank
FROM meta.position_drivers
