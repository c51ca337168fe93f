-- A Zendesk schedule holiday closes its schedule on every local date from
-- `start_date` to `end_date`, both included. Deleted holidays
-- (`_fivetran_deleted`) do not close anything (dbt_zendesk keeps them).
SELECT
  CAST(schedule_id AS VARCHAR) AS calendar_id,
  CAST(unnest(range(start_date, end_date + INTERVAL '1 day', INTERVAL '1 day')) AS DATE) AS date,
  name
FROM schedule_holiday
WHERE NOT coalesce(_fivetran_deleted, false) AND end_date >= start_date
