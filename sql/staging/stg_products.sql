-- Staging contract: one row per product.
-- product_id, product_name, category, brand, unit_price, then optional attributes.
-- Optional: without a products source this view is empty.
-- marketsql: optional raw.products(product_id VARCHAR, product_name VARCHAR, category VARCHAR, brand VARCHAR, list_price DOUBLE, release_date DATE, screen_inches DOUBLE, storage_gb INTEGER, ram_gb INTEGER, camera_mp DOUBLE, battery_mah INTEGER, has_5g BOOLEAN)
-- A NaN or infinite price or measurement is not a value: it becomes NULL (unknown), the product stays.
-- (abs(x) < 'Infinity' is false for NaN and ±infinity, and runs on PostgreSQL, which has no isfinite(float).)
SELECT
    product_id,
    product_name,
    category,
    brand,
    CASE WHEN abs(list_price) < CAST('Infinity' AS DOUBLE) THEN list_price END AS unit_price,
    release_date,
    CASE WHEN abs(screen_inches) < CAST('Infinity' AS DOUBLE) THEN screen_inches END AS screen_inches,
    storage_gb,
    ram_gb,
    CASE WHEN abs(camera_mp) < CAST('Infinity' AS DOUBLE) THEN camera_mp END AS camera_mp,
    battery_mah,
    has_5g
FROM raw.products
