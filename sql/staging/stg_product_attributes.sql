-- Staging contract: product attributes in long form, one row per product and attribute.
-- product_id, attribute, value (DOUBLE; booleans as 0/1). Only products listed here are positioned
-- (sql/positioning/); the attribute names become the arguments of the positioning macros.
-- Demo: the phones' screen size, storage, RAM, main camera, battery and 5G.
SELECT product_id, 'screen_size' AS attribute, CAST(screen_inches AS DOUBLE) AS value
FROM stg_products WHERE category = 'Phones'
UNION ALL
SELECT product_id, 'storage_gb', CAST(storage_gb AS DOUBLE) FROM stg_products WHERE category = 'Phones'
UNION ALL
SELECT product_id, 'ram_gb', CAST(ram_gb AS DOUBLE) FROM stg_products WHERE category = 'Phones'
UNION ALL
SELECT product_id, 'camera_mp', CAST(camera_mp AS DOUBLE) FROM stg_products WHERE category = 'Phones'
UNION ALL
SELECT product_id, 'battery_mah', CAST(battery_mah AS DOUBLE) FROM stg_products WHERE category = 'Phones'
UNION ALL
SELECT product_id, 'has_5g', CASE WHEN has_5g THEN 1.0 ELSE 0.0 END FROM stg_products WHERE category = 'Phones'
