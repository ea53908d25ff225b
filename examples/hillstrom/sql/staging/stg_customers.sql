-- Customers of the campaign are in campaign_customers: the contract, with no rows.
SELECT CAST(NULL AS VARCHAR) AS customer_id, CAST(NULL AS VARCHAR) AS country,
       CAST(NULL AS TIMESTAMP) AS first_order_ts
WHERE 1 = 0
