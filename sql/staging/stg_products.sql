-- Staging contract: one row per product.
-- product_id, product_name, category, brand, unit_price, then optional attributes.
SELECT
    product_id,
    product_name,
    category,
    brand,
    list_price AS unit_price,
    release_date,
    screen_inches,
    storage_gb,
    ram_gb,
    camera_mp,
    battery_mah,
    has_5g
FROM raw.products
