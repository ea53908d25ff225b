-- No products: the contract's columns, no rows.
SELECT CAST(NULL AS VARCHAR) AS product_id, CAST(NULL AS VARCHAR) AS attribute, CAST(NULL AS DOUBLE) AS value
WHERE false
