-- A team is a Zendesk group (not deleted); its service targets run on the
-- default schedule, the one Zendesk applies to a ticket no trigger gave
-- another (`zendesk_default_schedule`; none: calendar time).
SELECT DISTINCT
  g.name AS team,
  (SELECT calendar_id FROM zendesk_default_schedule) AS calendar_id
FROM "group" g
WHERE g.name IS NOT NULL AND NOT coalesce(g._fivetran_deleted, false)
