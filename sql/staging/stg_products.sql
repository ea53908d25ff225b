-- Staging contract: one row per product.
-- product_id, product_name, category, brand, unit_price, then optional attributes.
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
