-- Clients are in bank_contacts: the contract, with no rows.
SELECT CAST(NULL AS VARCHAR) AS customer_id, CAST(NULL AS VARCHAR) AS country,
       CAST(NULL AS TIMESTAMP) AS first_order_ts
WHERE 1 = 0
