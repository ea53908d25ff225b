-- Staging contract: one row per product.
-- product_id, product_name, category, brand, unit_price, then optional attributes.
-- A NaN or infinite price or measurement is not a value: it becomes NULL (unknown), the product stays.
SELECT
    product_id,
    product_name,
    category,
    brand,
    CASE WHEN isfinite(list_price) THEN list_price END AS unit_price,
    release_date,
    CASE WHEN isfinite(screen_inches) THEN screen_inches END AS screen_inches,
    storage_gb,
    ram_gb,
    CASE WHEN isfinite(camera_mp) THEN camera_mp END AS camera_mp,
    battery_mah,
    has_5g
FROM raw.products
