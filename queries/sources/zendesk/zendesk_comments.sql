-- Every comment of a ticket with its author's role, as dbt_zendesk
-- classifies it: `end-user` and `not set` write external comments, `agent`
-- and `admin` internal ones, any other role (or none) unknown. A comment
-- whose author is not in `user` is not counted anywhere.
SELECT
  c.id AS comment_id,
  c.ticket_id,
  c.user_id,
  c.created,
  c.public,
  CASE
    WHEN lower(u.role) IN ('end-user', 'not set') THEN 'external_comment'
    WHEN lower(u.role) IN ('agent', 'admin') THEN 'internal_comment'
    ELSE 'unknown'
  END AS commenter_role
FROM ticket_comment c
JOIN "user" u ON u.id = c.user_id
