-- marketsql: materialized
-- marketsql: requires segmentation
-- One row per segment of the active model: size, shares, mean and median of every feature, top categories, and the
-- features that most set it apart (mean standardised value of its customers, from the training profile), and the
-- same profile in plain words (description: "buys 2.6× as often as average (11.3 orders), last purchase …").
-- With a trained clv model also mean_p_alive, mean_clv_12m and expected_value_12m (the segment's summed clv_12m);
-- NULL until `marketsql train clv`.
WITH totals AS (
    SELECT count(*) AS customers, sum(monetary) AS revenue FROM customer_segments
),
categories AS (
    SELECT segment_id, top_category, count(*) AS customers,
           row_number() OVER (PARTITION BY segment_id ORDER BY count(*) DESC, top_category) AS rank
    FROM customer_segments
    GROUP BY segment_id, top_category
),
top_categories AS (
    SELECT segment_id, string_agg(top_category, ', ' ORDER BY rank) AS top_categories
    FROM categories
    WHERE rank <= 3
    GROUP BY segment_id
)
SELECT
    s.segment_id,
    s.segment_name,
    count(*) AS customers,
    count(*) / max(t.customers) AS share_of_customers,
    sum(s.monetary) / max(t.revenue) AS share_of_revenue,
    avg(s.recency_days) AS mean_recency_days,
    median(s.recency_days) AS median_recency_days,
    avg(s.frequency) AS mean_frequency,
    median(s.frequency) AS median_frequency,
    avg(s.monetary) AS mean_monetary,
    median(s.monetary) AS median_monetary,
    avg(s.tenure_days) AS mean_tenure_days,
    median(s.tenure_days) AS median_tenure_days,
    avg(s.avg_basket_value) AS mean_avg_basket_value,
    median(s.avg_basket_value) AS median_avg_basket_value,
    avg(s.avg_basket_lines) AS mean_avg_basket_lines,
    median(s.avg_basket_lines) AS median_avg_basket_lines,
    avg(s.total_quantity) AS mean_total_quantity,
    median(s.total_quantity) AS median_total_quantity,
    avg(s.distinct_products) AS mean_distinct_products,
    median(s.distinct_products) AS median_distinct_products,
    avg(s.distinct_categories) AS mean_distinct_categories,
    median(s.distinct_categories) AS median_distinct_categories,
    avg(s.avg_interpurchase_days) AS mean_avg_interpurchase_days,
    median(s.avg_interpurchase_days) AS median_avg_interpurchase_days,
    avg(s.return_rate) AS mean_return_rate,
    median(s.return_rate) AS median_return_rate,
    avg(s.top_category_share) AS mean_top_category_share,
    median(s.top_category_share) AS median_top_category_share,
    max(c.top_categories) AS top_categories,
    max(a.distinguishing_features) AS distinguishing_features,
    segment_description(s.segment_id) AS description,
    avg(p_alive_if_trained(v.frequency, v.recency_days, v.age_days)) AS mean_p_alive,
    avg(clv_12m_if_trained(v.frequency, v.recency_days, v.age_days, v.monetary_value)) AS mean_clv_12m,
    sum(clv_12m_if_trained(v.frequency, v.recency_days, v.age_days, v.monetary_value)) AS expected_value_12m
FROM customer_segments AS s
CROSS JOIN totals AS t
LEFT JOIN clv_summary AS v ON v.customer_id = s.customer_id
LEFT JOIN top_categories AS c ON c.segment_id = s.segment_id
LEFT JOIN meta.active_segments AS a ON a.segment_id = s.segment_id
GROUP BY s.segment_id, s.segment_name
ORDER BY s.segment_id
