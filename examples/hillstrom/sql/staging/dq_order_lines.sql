-- The campaign data has no order lines: the order-line contract is kept, with no rows, so that the base
-- project's sales views build (empty) and position_products reports sales as NULL, not zero.
SELECT
    CAST(NULL AS BIGINT) AS _source_row,
    CAST(NULL AS VARCHAR) AS order_id,
    CAST(NULL AS TIMESTAMP) AS order_ts,
    CAST(NULL AS VARCHAR) AS customer_id,
    CAST(NULL AS VARCHAR) AS product_id,
    CAST(NULL AS INTEGER) AS quantity,
    CAST(NULL AS DOUBLE) AS unit_price,
    CAST(NULL AS DOUBLE) AS revenue,
    CAST(NULL AS VARCHAR) AS sales_channel,
    CAST(NULL AS VARCHAR) AS disposition,
    CAST(NULL AS VARCHAR) AS reason
WHERE 1 = 0
