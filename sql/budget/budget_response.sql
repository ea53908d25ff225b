-- marketsql: materialized
-- marketsql: requires budget
-- Each channel's response curve on a grid of monthly spend from 0 to its cap, for charts:
-- channel, spend, predicted_customers, predicted_revenue, within_observed_range.
SELECT * FROM budget_response_points()
