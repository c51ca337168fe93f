-- Contract checks for `teams` (DESIGN §1), run by `kpiql validate`.
-- One row per offending row: problem (what is wrong), detail (the row).
-- Undefined calendars and teams listed twice are checked in Rust
-- (src/calendar).
SELECT 'required column is NULL' AS problem,
       concat('team=NULL calendar_id=', coalesce(calendar_id, 'NULL')) AS detail
FROM teams
WHERE team IS NULL
