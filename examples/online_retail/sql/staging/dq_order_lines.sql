-- marketsql: materialized
-- Every raw UCI line, parsed to the staging contract and classified exactly once
-- (disposition purchase / return / quarantine, with a reason for everything but purchases).
--   CustomerID "17850.0" -> customer_id "17850";  InvoiceNo starting with "C" -> return.
WITH parsed AS (
    SELECT
        _source_row,
        trim(InvoiceNo) AS order_id,
        TRY_CAST(InvoiceDate AS TIMESTAMP) AS order_ts,
        nullif(regexp_replace(trim(CustomerID), '\.0+$', ''), '') AS customer_id,
        trim(StockCode) AS product_id,
        TRY_CAST(Quantity AS INTEGER) AS quantity,
        TRY_CAST(UnitPrice AS DOUBLE) AS unit_price,
        trim(Description) AS product_name,
        trim(Country) AS country,
        CASE
            WHEN InvoiceDate IS NOT NULL AND TRY_CAST(InvoiceDate AS TIMESTAMP) IS NULL THEN 'InvoiceDate'
            WHEN Quantity IS NOT NULL AND TRY_CAST(Quantity AS INTEGER) IS NULL THEN 'Quantity'
            WHEN UnitPrice IS NOT NULL AND TRY_CAST(UnitPrice AS DOUBLE) IS NULL THEN 'UnitPrice'
        END AS unparseable_column,
        CASE  -- 'NaN', 'inf', '1e309' parse as DOUBLE but are not prices (NaN even compares > 0)
            WHEN NOT isfinite(TRY_CAST(UnitPrice AS DOUBLE)) THEN 'non-finite price'
            WHEN NOT isfinite(TRY_CAST(Quantity AS INTEGER) * TRY_CAST(UnitPrice AS DOUBLE)) THEN 'non-finite revenue'
        END AS non_finite,
        row_number() OVER (
            PARTITION BY InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country
            ORDER BY _source_row
        ) AS copy_number
    FROM raw.order_lines
)
SELECT
    _source_row,
    order_id,
    order_ts,
    customer_id,
    product_id,
    quantity,
    unit_price,
    quantity * unit_price AS revenue,
    product_name,
    country,
    CASE
        WHEN customer_id IS NULL THEN 'quarantine'
        WHEN unparseable_column IS NOT NULL THEN 'quarantine'
        WHEN order_id IS NULL OR order_ts IS NULL OR product_id IS NULL THEN 'quarantine'
        WHEN non_finite IS NOT NULL THEN 'quarantine'
        WHEN order_id LIKE 'C%' AND quantity < 0 THEN 'return'
        WHEN quantity IS NULL OR quantity <= 0 THEN 'quarantine'
        WHEN unit_price IS NULL OR unit_price <= 0 THEN 'quarantine'
        WHEN copy_number > 1 THEN 'quarantine'
        ELSE 'purchase'
    END AS disposition,
    CASE
        WHEN customer_id IS NULL THEN 'missing customer'
        WHEN unparseable_column IS NOT NULL THEN 'unparseable ' || unparseable_column
        WHEN order_id IS NULL OR order_ts IS NULL OR product_id IS NULL THEN 'missing invoice, date or stock code'
        WHEN non_finite IS NOT NULL THEN non_finite
        WHEN order_id LIKE 'C%' AND quantity < 0 THEN NULL
        WHEN quantity IS NULL OR quantity <= 0 THEN 'non-positive quantity'
        WHEN unit_price IS NULL OR unit_price <= 0 THEN 'non-positive price'
        WHEN copy_number > 1 THEN 'exact duplicate'
    END AS reason
FROM parsed
