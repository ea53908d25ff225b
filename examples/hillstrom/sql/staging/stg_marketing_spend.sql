-- Hillstrom has no marketing spend: the contract's columns, no rows (sql/budget/ stays empty).
SELECT CAST(NULL AS DATE) AS date, CAST(NULL AS VARCHAR) AS channel, CAST(NULL AS DOUBLE) AS spend
WHERE false
