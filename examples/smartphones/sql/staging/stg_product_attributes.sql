-- The phones' attributes in long form (names shared with the demo where they mean the same).
-- fast_charging_w is 0 for phones without fast charging and missing (filled with the median by the
-- model) where the listing does not say; pixels_m = resolution in megapixels. A NaN or infinite value
-- is missing too (NULL).
SELECT
    'SP' || lpad(CAST(_source_row AS VARCHAR), 4, '0') AS product_id,
    attribute,
    CASE WHEN abs(value) < CAST('Infinity' AS DOUBLE) THEN value END AS value
FROM (
    SELECT _source_row, 'screen_size' AS attribute, screen_size AS value FROM raw.phones
    UNION ALL SELECT _source_row, 'storage_gb', CAST(internal_memory AS DOUBLE) FROM raw.phones
    UNION ALL SELECT _source_row, 'ram_gb', CAST(ram_capacity AS DOUBLE) FROM raw.phones
    UNION ALL SELECT _source_row, 'camera_mp', primary_camera_rear FROM raw.phones
    UNION ALL SELECT _source_row, 'front_camera_mp', primary_camera_front FROM raw.phones
    UNION ALL SELECT _source_row, 'rear_cameras', CAST(num_rear_cameras AS DOUBLE) FROM raw.phones
    UNION ALL SELECT _source_row, 'battery_mah', CAST(battery_capacity AS DOUBLE) FROM raw.phones
    UNION ALL SELECT _source_row, 'fast_charging_w',
        CASE WHEN fast_charging_available = 0 THEN 0.0 ELSE CAST(fast_charging AS DOUBLE) END FROM raw.phones
    UNION ALL SELECT _source_row, 'refresh_rate_hz', CAST(refresh_rate AS DOUBLE) FROM raw.phones
    UNION ALL SELECT _source_row, 'processor_ghz', processor_speed FROM raw.phones
    UNION ALL SELECT _source_row, 'pixels_m', resolution_width * resolution_height / 1e6 FROM raw.phones
    UNION ALL SELECT _source_row, 'has_5g', CASE WHEN has_5g THEN 1.0 ELSE 0.0 END FROM raw.phones
    UNION ALL SELECT _source_row, 'has_nfc', CASE WHEN has_nfc THEN 1.0 ELSE 0.0 END FROM raw.phones
    UNION ALL SELECT _source_row, 'memory_card', CAST(extended_memory_available AS DOUBLE) FROM raw.phones
) AS long_form
