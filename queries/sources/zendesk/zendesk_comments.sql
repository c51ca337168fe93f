-- Every comment of a ticket with its author's role, as dbt_zendesk
-- classifies it: `end-user` and `not set` write external comments, `agent`
-- and `admin` internal ones, any other role (or none) unknown. A comment
-- whose author is not in `user` is not counted anywhere. The role is
-- classified once per user, not per comment; `internal` and `external`
-- say it as flags.
SELECT
  c.id AS comment_id,
  c.ticket_id,
  c.user_id,
  c.created,
  c.public,
  u.commenter_role,
  u.commenter_role = 'internal_comment' AS internal,
  u.commenter_role = 'external_comment' AS external
FROM ticket_comment c
JOIN (
  SELECT
    id,
    CASE
      WHEN lower(role) IN ('end-user', 'not set') THEN 'external_comment'
      WHEN lower(role) IN ('agent', 'admin') THEN 'internal_comment'
      ELSE 'unknown'
    END AS commenter_role
  FROM "user"
) AS u ON u.id = c.user_id
