-- One row per phone contact, in the file's (time) order: contact_id, the features known BEFORE the call, and
-- subscribed (0/1, the term deposit). Left out on purpose: duration (the call's length, known only after the
-- call: it leaks the outcome) and month/day_of_week (calendar position, not a client property).
-- pdays 999 means "not contacted before": it becomes NULL and contacted_before 0.
SELECT
    _source_row AS contact_id,
    CAST(age AS DOUBLE) AS age,
    CAST(campaign AS DOUBLE) AS contacts_this_campaign,
    CAST(CASE WHEN pdays <> 999 THEN pdays END AS DOUBLE) AS days_since_previous_contact,
    CASE WHEN pdays <> 999 THEN 1.0 ELSE 0.0 END AS contacted_before,
    CAST(previous AS DOUBLE) AS previous_contacts,
    CASE WHEN poutcome = 'success' THEN 1.0 ELSE 0.0 END AS previous_success,
    CASE WHEN poutcome = 'failure' THEN 1.0 ELSE 0.0 END AS previous_failure,
    CASE WHEN contact = 'cellular' THEN 1.0 ELSE 0.0 END AS cellular,
    CASE WHEN "default" = 'unknown' THEN 1.0 ELSE 0.0 END AS default_unknown,
    CASE WHEN housing = 'yes' THEN 1.0 ELSE 0.0 END AS housing_loan,
    CASE WHEN loan = 'yes' THEN 1.0 ELSE 0.0 END AS personal_loan,
    CASE WHEN education = 'university.degree' THEN 1.0 ELSE 0.0 END AS university,
    CASE WHEN job IN ('student', 'retired') THEN 1.0 ELSE 0.0 END AS student_or_retired,
    CASE WHEN marital = 'single' THEN 1.0 ELSE 0.0 END AS single,
    TRY_CAST("emp.var.rate" AS DOUBLE) AS employment_variation_rate,
    TRY_CAST("cons.price.idx" AS DOUBLE) AS consumer_price_index,
    TRY_CAST("cons.conf.idx" AS DOUBLE) AS consumer_confidence_index,
    TRY_CAST(euribor3m AS DOUBLE) AS euribor_3m,
    TRY_CAST("nr.employed" AS DOUBLE) AS employees,
    CASE WHEN y = 'yes' THEN 1 ELSE 0 END AS subscribed
FROM raw.bank
