-- marketsql: materialized
-- marketsql: requires budget
-- One row per channel: the fitted response new_customers_per_month = alpha * spend_per_month ^ beta
-- (beta < 1: diminishing returns), the attributed revenue of a new customer, the range of monthly
-- spend the curve was fitted on, the cap the allocation respects, and the holdout error of the curve
-- beside the constant-CAC baseline (new customers per month; see `marketsql models`).
SELECT * FROM budget_curve_points()
