-- @cached
-- Per Zendesk ticket, what ticket_metrics (reports/ticket_metrics.sql)
-- reads twice: its comment counts and first reply (dbt_zendesk's rules),
-- its solves and status spans, its assignees. `-- @cached`: computed once
-- per session, so the report groups each raw table once. Waits are of the
-- closed status spans; the still open last span (`last_updated`,
-- `last_value`) is the report's, which knows its `now`.
WITH comments AS (
  -- One pass over the comments. The first public comment F is the least
  -- (time, role) as one number: time in microseconds * 4 + the role's rank
  -- (external 0, internal 1, unknown 2: dbt orders the role text). The
  -- next public agent comment after F is the least public agent comment
  -- when that is later than F, else the second least (`second_smallest`):
  -- no second grouping joined back to the comments.
  SELECT
    ticket_id,
    count(*) FILTER (WHERE internal) AS agent_comments,
    count(*) FILTER (WHERE internal AND public) AS public_agent_comments,
    count(*) FILTER (WHERE external) AS end_user_comments,
    count(DISTINCT user_id) FILTER (WHERE internal) AS handoffs,
    min(arrow_cast(created, 'Int64')) FILTER (WHERE NOT public) AS first_note,
    min(arrow_cast(created, 'Int64') * 4
      + CASE WHEN external THEN 0 WHEN internal THEN 1 ELSE 2 END) FILTER (WHERE public)
      AS first_key,
    min(arrow_cast(created, 'Int64')) FILTER (WHERE public AND internal) AS agent_first,
    second_smallest(arrow_cast(created, 'Int64')) FILTER (WHERE public AND internal)
      AS agent_second
  FROM zendesk_comments
  GROUP BY ticket_id
),
replies AS (
  -- The reply: the first public comment itself when a non-end-user wrote
  -- it after an internal note, else the next public agent comment.
  SELECT
    *,
    first_key % 4 AS first_role,
    CASE
      WHEN first_key % 4 <> 0 AND first_note <= first_key / 4 THEN first_key / 4
      WHEN agent_first > first_key / 4 THEN agent_first
      ELSE agent_second
    END AS reply_us
  FROM comments
),
statuses AS (
  -- Each status row's span runs to the next row of its ticket, in one pass
  -- over the history sorted by ticket and time; the last row's span is
  -- still open (the report closes it at its `now`). A solve with the same
  -- ticket and time as the next row, also a solve, is an exact duplicate:
  -- its span is empty and it is not counted.
  SELECT
    ticket_id,
    min(updated) FILTER (WHERE value = 'solved') AS first_solved,
    max(updated) FILTER (WHERE value = 'solved') AS last_solved,
    min(updated) FILTER (WHERE value = 'closed') AS first_closed,
    max(updated) FILTER (WHERE value = 'closed') AS last_closed,
    count(*) FILTER (WHERE value = 'solved' AND NOT duplicate) AS solves,
    count(*) FILTER (WHERE value IN ('solved', 'closed')) AS solves_or_closes,
    coalesce(sum(minutes) FILTER (WHERE value = 'pending'), 0) AS agent_wait,
    coalesce(sum(minutes) FILTER (WHERE value IN ('new', 'open', 'hold')), 0) AS requester_wait,
    coalesce(sum(minutes) FILTER (WHERE value = 'hold'), 0) AS on_hold,
    max(updated) FILTER (WHERE last) AS last_updated,
    max(value) FILTER (WHERE last) AS last_value
  FROM (
    SELECT
      ticket_id, updated, value,
      next_ticket IS DISTINCT FROM ticket_id AS last,
      coalesce(
        value = 'solved' AND next_ticket = ticket_id AND next_updated = updated AND next_solved = 1,
        false
      ) AS duplicate,
      CASE WHEN next_ticket = ticket_id THEN
        arrow_cast(next_updated, 'Int64') / 60000000 - arrow_cast(updated, 'Int64') / 60000000
      END AS minutes
    FROM (
      SELECT
        ticket_id, updated, value,
        lead(ticket_id) OVER (ORDER BY ticket_id, updated, value) AS next_ticket,
        lead(updated) OVER (ORDER BY ticket_id, updated, value) AS next_updated,
        lead(CASE WHEN value = 'solved' THEN 1 ELSE 0 END) OVER (ORDER BY ticket_id, updated, value)
          AS next_solved
      FROM ticket_field_history
      WHERE field_name = 'status'
    ) AS ordered
  ) AS segments
  GROUP BY ticket_id
),
assignees AS (
  SELECT ticket_id, count(DISTINCT value) AS assignees
  FROM ticket_field_history
  WHERE field_name = 'assignee_id'
  GROUP BY ticket_id
)

  SELECT
    t.id AS ticket_id,
    t.status,
    t.priority,
    t.via_channel,
    t.created_at,
    t.group_id,
    arrow_cast(t.created_at, 'Int64') / 1000000 AS created_second,
    r.reply_us / 1000000 AS reply_second,
    arrow_cast(coalesce(s.first_solved, s.first_closed), 'Int64') / 1000000 AS first_solved_second,
    arrow_cast(coalesce(s.last_solved, s.last_closed), 'Int64') / 1000000 AS last_solved_second,
    coalesce(s.first_solved, s.first_closed) AS first_solved_at,
    coalesce(s.last_solved, s.last_closed) AS last_solved_at,
    r.ticket_id IS NOT NULL AS has_comments,
    coalesce(r.agent_comments, 0) AS agent_comments,
    coalesce(r.public_agent_comments, 0) AS public_agent_comments,
    coalesce(r.end_user_comments, 0) AS end_user_comments,
    coalesce(r.handoffs, 0) AS handoffs,
    coalesce(r.public_agent_comments, 0)
      - CASE WHEN r.first_role = 1 THEN 1 ELSE 0 END AS agent_replies,
    s.solves, s.solves_or_closes, s.agent_wait, s.requester_wait, s.on_hold,
    s.last_updated, s.last_value,
    a.assignees
  FROM ticket t
  LEFT JOIN replies r ON r.ticket_id = t.id
  LEFT JOIN statuses s ON s.ticket_id = t.id
  LEFT JOIN assignees a ON a.ticket_id = t.id
