-- marketsql: materialized
-- marketsql: requires budget
-- The current monthly budget (spend of the last complete month of the training data) split again to
-- maximise predicted attributed revenue, one row per channel: current and suggested spend with what the
-- curves predict for each. Assumptions: channels act independently (no halo, no cannibalisation), a
-- month's spend acts in that month only, return = attributed revenue (not margin), and no channel gets
-- more than its spend_cap (1.25 x its highest observed month by default): the curves are not
-- extrapolated further. Other totals: `marketsql budget --total N` / Project.allocate_budget(N).
SELECT * FROM budget_allocation_points()
