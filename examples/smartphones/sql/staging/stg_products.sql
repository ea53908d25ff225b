-- One row per phone of the catalogue (the CSV line number makes the id). Price in INR.
-- A NaN or infinite price or score is not a value: it becomes NULL (unknown), the phone stays.
SELECT
    'SP' || lpad(CAST(_source_row AS VARCHAR), 4, '0') AS product_id,
    model AS product_name,
    'Phones' AS category,
    brand_name AS brand,
    CASE WHEN abs(price) < CAST('Infinity' AS DOUBLE) THEN price END AS unit_price,
    CASE WHEN abs(rating) < CAST('Infinity' AS DOUBLE) THEN rating END AS spec_score,
    os,
    processor_brand
FROM raw.phones
