-- A ticket's contacts: the first from its creation, and one more from each
-- reopen (a status change out of `solved` to anything but `closed`), each
-- until the next.
--
-- Built so that a million tickets take seconds: the reopens come from one
-- pass over the status history sorted by ticket and time, with windows
-- over the whole history rather than one per ticket (a window partitioned
-- by ticket costs a partition per ticket: 2.4 s against 0.9 s for the
-- status history of a million tickets); then each contact's span is
-- joined once to the few events that decide its figures (solves, public
-- agent comments, group changes) and grouped. Every CTE is read once: a
-- CTE read twice is computed twice.
WITH statuses AS (
  SELECT
    ticket_id, updated, value,
    lag(ticket_id) OVER (ORDER BY ticket_id, updated, value) AS previous_ticket,
    lag(CASE WHEN value = 'solved' THEN 1 ELSE 0 END) OVER (ORDER BY ticket_id, updated, value)
      AS previous_solved
  FROM ticket_field_history
  WHERE field_name = 'status'
),
starts AS (
  -- Where contacts start: the ticket's creation, and each reopen.
  SELECT id AS ticket_id, created_at AS at, 0 AS reopen
  FROM ticket
  UNION ALL
  SELECT ticket_id, updated, 1
  FROM statuses
  WHERE previous_ticket = ticket_id AND previous_solved = 1
    AND value NOT IN ('solved', 'closed')
),
ordered AS (
  SELECT
    ticket_id, at, reopen,
    lead(ticket_id) OVER (ORDER BY ticket_id, reopen, at) AS next_ticket,
    lead(at) OVER (ORDER BY ticket_id, reopen, at) AS next_at,
    sum(reopen) OVER (
      ORDER BY ticket_id, reopen, at ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS reopens
  FROM starts
),
spans AS (
  -- `reopens` counts over all tickets; less its value at the ticket's
  -- creation, it is the contact's number - 1.
  SELECT
    ticket_id,
    at AS started_at,
    CASE WHEN next_ticket = ticket_id THEN next_at END AS next_started_at,
    next_ticket IS DISTINCT FROM ticket_id AS last,
    reopens - max(CASE WHEN reopen = 0 THEN reopens END) OVER (
      ORDER BY ticket_id, reopen, at ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) + 1 AS contact_seq
  FROM ordered
),
first_public AS (
  SELECT ticket_id, min(created) AS at
  FROM zendesk_comments
  WHERE public
  GROUP BY ticket_id
),
first_group AS (
  SELECT ticket_id, min(updated) AS at
  FROM ticket_field_history
  WHERE field_name = 'group_id' AND value IS NOT NULL
  GROUP BY ticket_id
),
events AS (
  -- What decides a contact's figures: its solves and closes; the public
  -- agent comments after the ticket's first public comment (an agent who
  -- opens a ticket writes that: no response); the changes of group after
  -- the ticket's first (Zendesk records a group only when it changes):
  -- escalations, a hand-over to another group.
  SELECT ticket_id, updated AS at, CASE value WHEN 'solved' THEN 1 ELSE 2 END AS kind
  FROM ticket_field_history
  WHERE field_name = 'status' AND value IN ('solved', 'closed')
  UNION ALL
  SELECT c.ticket_id, c.created, 3
  FROM zendesk_comments c
  JOIN first_public f ON f.ticket_id = c.ticket_id
  WHERE c.public AND c.internal AND c.created > f.at
  UNION ALL
  SELECT h.ticket_id, h.updated, 4
  FROM ticket_field_history h
  JOIN first_group f ON f.ticket_id = h.ticket_id
  WHERE h.field_name = 'group_id' AND h.value IS NOT NULL AND h.updated > f.at
),
contacts AS (
  SELECT
    s.ticket_id,
    s.contact_seq,
    s.started_at,
    s.next_started_at,
    s.last,
    coalesce(min(e.at) FILTER (WHERE e.kind = 1), min(e.at) FILTER (WHERE e.kind = 2)) AS ended_at,
    min(e.at) FILTER (WHERE e.kind = 3) AS first_response_at,
    count(e.at) FILTER (WHERE e.kind = 4) > 0 AS escalated
  FROM spans s
  LEFT JOIN events e
    ON e.ticket_id = s.ticket_id
    AND (s.contact_seq = 1 OR e.at >= s.started_at)
    AND (s.next_started_at IS NULL OR e.at < s.next_started_at)
  GROUP BY s.ticket_id, s.contact_seq, s.started_at, s.next_started_at, s.last
)
SELECT
  c.ticket_id,
  CAST(c.contact_seq AS INT) AS contact_seq,
  c.started_at,
  c.ended_at,
  c.next_started_at,
  c.last AND c.ended_at IS NOT NULL AS resolved,
  c.first_response_at,
  c.escalated,
  t.created_at AS ticket_created_at,
  t.requester_id,
  t.assignee_id,
  t.group_id,
  t.via_channel,
  t.priority
FROM contacts c
JOIN ticket t ON t.id = c.ticket_id
