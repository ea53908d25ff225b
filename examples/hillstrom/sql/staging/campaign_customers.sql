-- Hillstrom's e-mail campaign on the campaign contract: one row per customer (the CSV line makes the id).
-- treatment: segment 'Mens E-Mail' -> 'mens', 'Womens E-Mail' -> 'womens', 'No E-Mail' -> 'control'.
-- Features, all known before the e-mail: recency (months since the last purchase), history (dollars spent in
-- the past year), bought men's / women's merchandise, newbie (new in the past 12 months), zip code and channel
-- as 0/1 columns (Rural and Multichannel are the all-zero case). history_segment is left out: it is a binned
-- copy of history.
SELECT
    'H' || lpad(CAST(_source_row AS VARCHAR), 5, '0') AS customer_id,
    CASE segment WHEN 'Mens E-Mail' THEN 'mens' WHEN 'Womens E-Mail' THEN 'womens' WHEN 'No E-Mail' THEN 'control'
    END AS treatment,
    visit,
    conversion,
    spend,
    CAST(recency AS DOUBLE) AS recency,
    history,
    CAST(mens AS DOUBLE) AS bought_mens,
    CAST(womens AS DOUBLE) AS bought_womens,
    CAST(newbie AS DOUBLE) AS newbie,
    CASE WHEN zip_code = 'Urban' THEN 1.0 ELSE 0.0 END AS zip_urban,
    CASE WHEN zip_code = 'Surburban' THEN 1.0 ELSE 0.0 END AS zip_suburban,
    CASE WHEN channel = 'Phone' THEN 1.0 ELSE 0.0 END AS channel_phone,
    CASE WHEN channel = 'Web' THEN 1.0 ELSE 0.0 END AS channel_web
FROM raw.hillstrom
