-- marketsql: materialized
-- marketsql: requires segmentation
-- Every customer with the active segmentation model's segment (scored by the compiled segment()
-- macro, so this table reads the same from any client) beside the RFM baseline segment.
SELECT
    f.customer_id,
    segment(f.recency_days, f.frequency, f.monetary, f.tenure_days, f.avg_basket_value, f.avg_basket_lines,
            f.total_quantity, f.distinct_products, f.distinct_categories, f.return_rate,
            f.top_category_share) AS segment_id,
    segment_name(segment(f.recency_days, f.frequency, f.monetary, f.tenure_days, f.avg_basket_value,
            f.avg_basket_lines, f.total_quantity, f.distinct_products, f.distinct_categories, f.return_rate,
            f.top_category_share)) AS segment_name,
    r.rfm_segment,
    r.r_score,
    r.f_score,
    r.m_score,
    f.country,
    f.recency_days,
    f.frequency,
    f.monetary,
    f.tenure_days,
    f.avg_basket_value,
    f.avg_basket_lines,
    f.total_quantity,
    f.distinct_products,
    f.distinct_categories,
    f.avg_interpurchase_days,
    f.return_rate,
    f.top_category,
    f.top_category_share
FROM customer_features AS f
LEFT JOIN rfm_segments AS r ON r.customer_id = f.customer_id
