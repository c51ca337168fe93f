-- A ticket's contacts: the first from its creation, and one more from each
-- reopen (a status change out of `solved` to anything but `closed`), each
-- until the next. Exact duplicate rows of `ticket_field_history` (a
-- Fivetran re-sync writes them) count once.
WITH status AS (
  SELECT DISTINCT ticket_id, updated, value
  FROM ticket_field_history
  WHERE field_name = 'status'
),
marked AS (
  SELECT
    ticket_id, updated, value,
    CASE
      WHEN value NOT IN ('solved', 'closed')
        AND lag(value) OVER (PARTITION BY ticket_id ORDER BY updated, value) = 'solved'
      THEN 1 ELSE 0
    END AS reopen
  FROM status
),
numbered AS (
  SELECT
    ticket_id, updated, value, reopen,
    1 + sum(reopen) OVER (
      PARTITION BY ticket_id ORDER BY updated, value
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS contact_seq
  FROM marked
),
episodes AS (
  SELECT
    ticket_id, contact_seq,
    min(updated) FILTER (WHERE reopen = 1) AS reopened_at,
    min(updated) FILTER (WHERE value = 'solved') AS solved_at,
    min(updated) FILTER (WHERE value = 'closed') AS closed_at
  FROM numbered
  GROUP BY ticket_id, contact_seq
),
contacts AS (
  SELECT
    t.id AS ticket_id,
    coalesce(e.contact_seq, 1) AS contact_seq,
    CASE WHEN coalesce(e.contact_seq, 1) = 1 THEN t.created_at ELSE e.reopened_at END AS started_at,
    coalesce(e.solved_at, e.closed_at) AS ended_at,
    t.created_at AS ticket_created_at,
    t.requester_id, t.assignee_id, t.group_id, t.via_channel, t.priority
  FROM ticket t
  LEFT JOIN episodes e ON e.ticket_id = t.id
),
bounded AS (
  SELECT
    *,
    lead(started_at) OVER (PARTITION BY ticket_id ORDER BY contact_seq) AS next_started_at,
    max(contact_seq) OVER (PARTITION BY ticket_id) AS last_seq
  FROM contacts
),
first_public AS (
  SELECT ticket_id, min(created) AS first_public_at
  FROM zendesk_comments
  WHERE public
  GROUP BY ticket_id
),
responses AS (
  -- The first public agent comment of the contact that is not the
  -- ticket's first public comment (an agent who opens a ticket writes that).
  SELECT b.ticket_id, b.contact_seq, min(c.created) AS first_response_at
  FROM bounded b
  JOIN zendesk_comments c ON c.ticket_id = b.ticket_id
  JOIN first_public f ON f.ticket_id = b.ticket_id
  WHERE c.public
    AND c.commenter_role = 'internal_comment'
    AND c.created > f.first_public_at
    AND c.created >= b.started_at
    AND (b.next_started_at IS NULL OR c.created < b.next_started_at)
  GROUP BY b.ticket_id, b.contact_seq
),
groups AS (
  SELECT
    ticket_id, updated, value,
    lag(value) OVER (PARTITION BY ticket_id ORDER BY updated, value) AS before
  FROM (
    SELECT DISTINCT ticket_id, updated, value
    FROM ticket_field_history
    WHERE field_name = 'group_id'
  ) AS g
),
moves AS (
  -- Escalation: the ticket handed from one group to another.
  SELECT b.ticket_id, b.contact_seq, count(*) AS moves
  FROM bounded b
  JOIN groups g ON g.ticket_id = b.ticket_id
  WHERE g.before IS NOT NULL AND g.value IS NOT NULL AND g.value <> g.before
    AND g.updated >= b.started_at
    AND (b.next_started_at IS NULL OR g.updated < b.next_started_at)
  GROUP BY b.ticket_id, b.contact_seq
)
SELECT
  b.ticket_id,
  b.contact_seq,
  b.started_at,
  b.ended_at,
  b.next_started_at,
  b.contact_seq = b.last_seq AND b.ended_at IS NOT NULL AS resolved,
  r.first_response_at,
  coalesce(m.moves, 0) > 0 AS escalated,
  b.ticket_created_at,
  b.requester_id,
  b.assignee_id,
  b.group_id,
  b.via_channel,
  b.priority
FROM bounded b
LEFT JOIN responses r ON r.ticket_id = b.ticket_id AND r.contact_seq = b.contact_seq
LEFT JOIN moves m ON m.ticket_id = b.ticket_id AND m.contact_seq = b.contact_seq
