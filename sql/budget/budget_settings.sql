-- Settings of the budget views (one row):
--   budget_attribution_days  days after signup whose purchases are credited to the acquiring channel
--                            (a whole number >= 1, default 90)
-- A value that is not a whole number in range stops the build with a message naming the setting.
WITH given AS (
    SELECT (SELECT value FROM raw.settings WHERE key = 'budget_attribution_days') AS days_text
)
SELECT
    CASE
        WHEN days_text IS NULL THEN 90
        WHEN TRY_CAST(days_text AS INTEGER) >= 1 THEN CAST(days_text AS INTEGER)
        ELSE CAST(error('settings.budget_attribution_days must be a whole number of days >= 1, e.g. "90" (got "'
                        || days_text || '")') AS INTEGER)
    END AS attribution_days
FROM given
