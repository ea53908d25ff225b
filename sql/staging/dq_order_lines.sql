-- marketsql: materialized
-- Every raw order line, parsed to the staging contract and classified exactly once:
--   disposition = 'purchase' | 'return' | 'quarantine', with the reason for anything else than a purchase.
-- The build checks that this view has exactly one row per raw row.
-- With other data, rewrite this file (and stg_products, stg_customers); everything downstream stays.
-- Optional: a project without order lines (a catalogue) need not declare the source; this view is then empty.
-- marketsql: optional raw.order_lines(order_id VARCHAR, order_ts TIMESTAMP, customer_id VARCHAR, product_id VARCHAR, quantity INTEGER, unit_price DOUBLE, sales_channel VARCHAR)
WITH lines AS (
    SELECT
        _source_row,
        order_id,
        order_ts,
        nullif(trim(customer_id), '') AS customer_id,
        product_id,
        quantity,
        unit_price,
        sales_channel,
        CASE  -- NaN and ±infinity compare as numbers (NaN > 0) but are not amounts
            WHEN NOT isfinite(quantity) THEN 'non-finite quantity'
            WHEN NOT isfinite(unit_price) THEN 'non-finite price'
            WHEN NOT isfinite(quantity * unit_price) THEN 'non-finite revenue'
        END AS non_finite,
        row_number() OVER (
            PARTITION BY order_id, order_ts, customer_id, product_id, quantity, unit_price, sales_channel
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
    sales_channel,
    CASE
        WHEN customer_id IS NULL THEN 'quarantine'
        WHEN order_id IS NULL OR order_ts IS NULL OR product_id IS NULL THEN 'quarantine'
        WHEN non_finite IS NOT NULL THEN 'quarantine'
        WHEN order_id LIKE 'R%' AND quantity < 0 THEN 'return'
        WHEN quantity IS NULL OR quantity <= 0 THEN 'quarantine'
        WHEN unit_price IS NULL OR unit_price <= 0 THEN 'quarantine'
        WHEN copy_number > 1 THEN 'quarantine'
        ELSE 'purchase'
    END AS disposition,
    CASE
        WHEN customer_id IS NULL THEN 'missing customer'
        WHEN order_id IS NULL OR order_ts IS NULL OR product_id IS NULL THEN 'missing order, time or product'
        WHEN non_finite IS NOT NULL THEN non_finite
        WHEN order_id LIKE 'R%' AND quantity < 0 THEN NULL
        WHEN quantity IS NULL OR quantity <= 0 THEN 'non-positive quantity'
        WHEN unit_price IS NULL OR unit_price <= 0 THEN 'non-positive price'
        WHEN copy_number > 1 THEN 'exact duplicate'
    END AS reason
FROM lines
