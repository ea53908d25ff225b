-- No product catalogue in the campaign data: the contract's columns, no rows.
SELECT CAST(NULL AS VARCHAR) AS product_id, CAST(NULL AS VARCHAR) AS product_name, CAST(NULL AS VARCHAR) AS category,
       CAST(NULL AS VARCHAR) AS brand, CAST(NULL AS DOUBLE) AS unit_price
WHERE false
