-- UCI Online Retail has no product attributes: nothing is positioned (the contract, with no rows).
SELECT CAST(NULL AS VARCHAR) AS product_id, CAST(NULL AS VARCHAR) AS attribute, CAST(NULL AS DOUBLE) AS value
WHERE 1 = 0
