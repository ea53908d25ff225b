-- Where the raw rows of each source went in the latest build (from the build manifest).
SELECT q.source, q.disposition, q.reason, q.rows,
       round(100.0 * q.rows / sum(q.rows) OVER (PARTITION BY q.source), 2) AS pct_of_raw
FROM meta.build_quality AS q
WHERE q.build_id = (SELECT max(build_id) FROM meta.build_quality)
ORDER BY q.source, q.disposition, q.rows DESC
