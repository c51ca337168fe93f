-- Contract checks for `holidays` (DESIGN §1), run by `kpiql validate`.
-- One row per offending row: problem (what is wrong), detail (the row).
-- A holiday of an undefined calendar is checked in Rust (src/calendar).
SELECT 'required column is NULL' AS problem,
       concat('calendar_id=', coalesce(calendar_id, 'NULL'), ' date=', coalesce(CAST(date AS VARCHAR), 'NULL')) AS detail
FROM holidays
WHERE calendar_id IS NULL OR date IS NULL
