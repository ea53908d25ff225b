-- Thresholds of the association rules, from the project settings (one row):
--   basket_min_support    share of baskets an itemset must appear in, 0 < s <= 1 (default 0.01)
--   basket_min_confidence share of the antecedent's baskets that also hold the consequent, 0 <= c <= 1 (default 0.25)
-- A value that is not a number in range stops the build with a message naming the setting.
WITH given AS (
    SELECT
        (SELECT value FROM raw.settings WHERE key = 'basket_min_support') AS support_text,
        (SELECT value FROM raw.settings WHERE key = 'basket_min_confidence') AS confidence_text
)
SELECT
    CASE
        WHEN support_text IS NULL THEN CAST(0.01 AS DOUBLE)
        WHEN TRY_CAST(support_text AS DOUBLE) > 0 AND TRY_CAST(support_text AS DOUBLE) <= 1
            THEN CAST(support_text AS DOUBLE)
        ELSE CAST(error('settings.basket_min_support must be a number in (0, 1], e.g. "0.01" (got "'
                        || support_text || '")') AS DOUBLE)
    END AS min_support,
    CASE
        WHEN confidence_text IS NULL THEN CAST(0.25 AS DOUBLE)
        WHEN TRY_CAST(confidence_text AS DOUBLE) >= 0 AND TRY_CAST(confidence_text AS DOUBLE) <= 1
            THEN CAST(confidence_text AS DOUBLE)
        ELSE CAST(error('settings.basket_min_confidence must be a number in [0, 1], e.g. "0.25" (got "'
                        || confidence_text || '")') AS DOUBLE)
    END AS min_confidence
FROM given
