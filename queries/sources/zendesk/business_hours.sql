-- Zendesk schedules as calendars: a schedule row is one weekly interval
-- in minutes from Sunday 00:00 local time; an interval that crosses
-- local midnight is cut into one window per day. The zone is the IANA
-- zone of the schedule's Zendesk (Rails) zone name, matched without case
-- (`zendesk_zone_names`), or the name itself when it is already an IANA
-- name; any other name stays as it is, and the calendar is refused by
-- `kpiql validate` and the business-time functions as an unknown zone.
-- Zendesk keeps no schedule history without the audit log: the current
-- intervals apply to all time.
WITH intervals AS (
  SELECT
    CAST(s.id AS VARCHAR) AS calendar_id,
    coalesce(z.iana_name, s.time_zone) AS time_zone,
    s.start_time,
    s.end_time
  FROM schedule s
  LEFT JOIN zendesk_zone_names z ON lower(z.zendesk_name) = lower(s.time_zone)
  WHERE NOT coalesce(s._fivetran_deleted, false) AND s.end_time > s.start_time
),
days AS (
  SELECT *, unnest(range(start_time / 1440, (end_time - 1) / 1440 + 1)) AS day
  FROM intervals
)
SELECT
  calendar_id,
  time_zone,
  CAST(CASE WHEN day % 7 = 0 THEN 7 ELSE day % 7 END AS INT) AS weekday,
  CAST(greatest(start_time - day * 1440, 0) AS INT) AS open_minute,
  CAST(least(end_time - day * 1440, 1440) AS INT) AS close_minute
FROM days
