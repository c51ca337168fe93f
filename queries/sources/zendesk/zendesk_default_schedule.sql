-- The default schedule, as dbt_zendesk infers it (Fivetran does not land
-- Zendesk's flag): the oldest schedule not deleted, by `created_at` then
-- id. Tickets no trigger gave a schedule run on it.
SELECT calendar_id
FROM (
  SELECT
    CAST(id AS VARCHAR) AS calendar_id,
    row_number() OVER (ORDER BY created_at ASC NULLS LAST, id) AS n
  FROM (
    SELECT id, min(created_at) AS created_at
    FROM schedule
    WHERE NOT coalesce(_fivetran_deleted, false)
    GROUP BY id
  ) AS s
) AS ranked
WHERE n = 1
