-- Contract checks for `business_hours` (DESIGN §1), run by `kpiql validate`.
-- One row per offending row: problem (what is wrong), detail (the row).
-- The calendar rules (zone, weekday, window, overlaps, one zone per
-- calendar) are checked in Rust (src/calendar), where the functions that
-- use the calendars check them too.
SELECT 'required column is NULL' AS problem,
       concat('calendar_id=', coalesce(calendar_id, 'NULL'), ' weekday=', coalesce(CAST(weekday AS VARCHAR), 'NULL'),
              ' nulls in: ',
              concat_ws(',',
                CASE WHEN calendar_id IS NULL THEN 'calendar_id' END,
                CASE WHEN time_zone IS NULL THEN 'time_zone' END,
                CASE WHEN weekday IS NULL THEN 'weekday' END,
                CASE WHEN open_minute IS NULL THEN 'open_minute' END,
                CASE WHEN close_minute IS NULL THEN 'close_minute' END)) AS detail
FROM business_hours
WHERE calendar_id IS NULL OR time_zone IS NULL OR weekday IS NULL OR open_minute IS NULL OR close_minute IS NULL
