-- marketsql: materialized
-- Days, weeks and months whose sales fall outside what was expected, one row per anomaly:
--   series (metric, dimension, key): revenue, orders and customers in total; revenue by category and by country
--   grain 'day' (daily data only; total and category), 'week' (Monday to Sunday) or 'month'; complete periods only
--   method 'robust': expected = the median of the neighbouring periods (day: the same weekday 4 weeks either
--     side; week: 4 weeks either side; month: 2 months either side; the period itself left out, at least 3
--     neighbours); residual = ln(1 + actual) - ln(1 + expected) (sales are skewed: a halving is as far as a
--     doubling); sigma = 1.4826 x the median absolute residual of the series (MAD); |residual| > k sigma is an
--     anomaly (k = anomaly_settings.threshold, default 3.5: the modified z-score rule), i.e. actual outside
--     [lower, upper] = (1 + expected) x exp(-/+ k sigma) - 1
--   method 'forecast': a holdout month of the trained forecast (total and category revenue) outside the
--     interval of the method it serves (forecast_holdout: model or baseline); none before `marketsql train forecast`
--   size = actual - expected, size_pct = size / expected; direction 'spike' (above) or 'drop' (below)
WITH lines AS (
    SELECT
        CAST(l.order_ts AS DATE) AS day,
        l.order_id,
        l.customer_id,
        l.revenue,
        coalesce(p.category, 'Unknown') AS category,
        coalesce(c.country, 'Unknown') AS country
    FROM stg_order_lines AS l
    LEFT JOIN stg_products AS p ON p.product_id = l.product_id
    LEFT JOIN stg_customers AS c ON c.customer_id = l.customer_id
),
span AS (SELECT min(day) AS first_day, max(day) AS last_day FROM lines),
grains AS (
    SELECT 'day' AS grain FROM order_grain WHERE grain = 'day'
    UNION ALL SELECT 'week' FROM order_grain WHERE grain = 'day'
    UNION ALL SELECT 'month'
),
periods AS (  -- every complete period of each grain between the first and the last day of sales
    SELECT g.grain, CAST(date_trunc(g.grain, d.day) AS DATE) AS period
    FROM grains AS g
    CROSS JOIN span AS s
    CROSS JOIN (SELECT CAST(unnest(generate_series(first_day, last_day, INTERVAL 1 DAY)) AS DATE) AS day
                FROM span) AS d
    GROUP BY g.grain, period, s.first_day, s.last_day
    HAVING min(d.day) = CAST(date_trunc(g.grain, min(d.day)) AS DATE)
       AND max(d.day) = CAST(date_trunc(g.grain, max(d.day)) + CASE g.grain WHEN 'day' THEN INTERVAL 0 DAY
                                                                          WHEN 'week' THEN INTERVAL 6 DAY
                                                                          ELSE INTERVAL 1 MONTH - INTERVAL 1 DAY END
                                 AS DATE)
),
dated AS (
    SELECT g.grain, CAST(date_trunc(g.grain, l.day) AS DATE) AS period, l.*
    FROM lines AS l CROSS JOIN grains AS g
),
actuals AS (
    SELECT 'revenue' AS metric, 'total' AS dimension, 'All' AS key, grain, period, sum(revenue) AS actual
    FROM dated GROUP BY grain, period
    UNION ALL
    SELECT 'orders', 'total', 'All', grain, period, count(DISTINCT order_id) FROM dated GROUP BY grain, period
    UNION ALL
    SELECT 'customers', 'total', 'All', grain, period, count(DISTINCT customer_id) FROM dated GROUP BY grain, period
    UNION ALL
    SELECT 'revenue', 'category', category, grain, period, sum(revenue) FROM dated GROUP BY ALL
    UNION ALL
    SELECT 'revenue', 'country', country, grain, period, sum(revenue) FROM dated WHERE grain <> 'day' GROUP BY ALL
),
series AS (  -- each series over every complete period of its grain, 0 where nothing sold
    SELECT DISTINCT metric, dimension, key, grain FROM actuals
),
filled AS (
    SELECT s.metric, s.dimension, s.key, s.grain, p.period, coalesce(a.actual, 0) AS actual,
           CASE s.grain WHEN 'day' THEN isodow(p.period) ELSE 0 END AS phase
    FROM series AS s
    JOIN periods AS p ON p.grain = s.grain
    LEFT JOIN actuals AS a
        ON a.metric = s.metric AND a.dimension = s.dimension AND a.key = s.key AND a.grain = s.grain
       AND a.period = p.period
),
expected AS (
    SELECT *,
           median(actual) OVER neighbours AS expected,
           count(actual) OVER neighbours AS neighbours
    FROM filled
    WINDOW neighbours AS (
        PARTITION BY metric, dimension, key, grain, phase ORDER BY period
        ROWS BETWEEN (CASE grain WHEN 'month' THEN 2 ELSE 4 END) PRECEDING
                 AND (CASE grain WHEN 'month' THEN 2 ELSE 4 END) FOLLOWING EXCLUDE CURRENT ROW)
),
residuals AS (
    SELECT *, ln(1 + actual) - ln(1 + expected) AS residual FROM expected WHERE neighbours >= 3
),
scaled AS (
    SELECT r.*, 1.4826 * median(abs(r.residual)) OVER (PARTITION BY r.metric, r.dimension, r.key, r.grain) AS sigma,
           t.threshold
    FROM residuals AS r CROSS JOIN anomaly_settings AS t
),
robust AS (
    SELECT metric, dimension, key, grain, period, actual, expected,
           (1 + expected) * exp(-threshold * sigma) - 1 AS lower, (1 + expected) * exp(threshold * sigma) - 1 AS upper,
           'robust' AS method
    FROM scaled
    WHERE sigma > 0 AND abs(residual) > threshold * sigma
),
forecast AS (
    SELECT 'revenue' AS metric, dimension, category AS key, 'month' AS grain, month AS period, actual,
           forecast AS expected, lower, upper, 'forecast' AS method
    FROM forecast_anomaly_points()
    WHERE actual < lower OR actual > upper
),
found AS (
    SELECT * FROM robust
    UNION ALL
    SELECT * FROM forecast
)
SELECT
    CASE WHEN dimension = 'total' THEN metric ELSE metric || ' by ' || dimension || ': ' || key END AS series,
    metric,
    dimension,
    key,
    grain,
    period,
    actual,
    expected,
    lower,
    upper,
    actual - expected AS size,
    (actual - expected) / nullif(expected, 0) AS size_pct,
    CASE WHEN actual > expected THEN 'spike' ELSE 'drop' END AS direction,
    method
FROM found
ORDER BY grain, period, metric, dimension, key, method
