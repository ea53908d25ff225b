-- One row per phone of the catalogue (the CSV line number makes the id). Price in INR.
SELECT
    'SP' || lpad(CAST(_source_row AS VARCHAR), 4, '0') AS product_id,
    model AS product_name,
    'Phones' AS category,
    brand_name AS brand,
    price AS unit_price,
    rating AS spec_score,
    os,
    processor_brand
FROM raw.phones
