-- The robust anomaly rule's threshold, from the project settings (one row):
--   anomaly_threshold  how many robust standard deviations (1.4826 x MAD) a residual must exceed, in (0, 1000) (default 3.5,
--                      the modified z-score rule); lower finds more and smaller anomalies, with more false alarms
-- A value that is not a number in range (text, NaN, infinity) stops the build with a message naming the setting.
WITH given AS (SELECT (SELECT value FROM raw.settings WHERE key = 'anomaly_threshold') AS threshold_text)
SELECT
    CASE
        WHEN threshold_text IS NULL THEN CAST(3.5 AS DOUBLE)
        WHEN TRY_CAST(threshold_text AS DOUBLE) > 0 AND TRY_CAST(threshold_text AS DOUBLE) < 1000
            THEN CAST(threshold_text AS DOUBLE)
        ELSE CAST(error('settings.anomaly_threshold must be a number in (0, 1000), e.g. "3.5" (got "'
                        || threshold_text || '")') AS DOUBLE)
    END AS threshold
FROM given
