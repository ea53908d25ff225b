-- The bank data has no customers: the contract's columns, no rows.
SELECT CAST(NULL AS VARCHAR) AS customer_id, CAST(NULL AS VARCHAR) AS channel, CAST(NULL AS DATE) AS acquired_on
WHERE false
