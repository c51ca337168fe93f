-- @report ticket_metrics
-- @description One row per Zendesk ticket with the columns and meanings of dbt_zendesk's zendesk__ticket_metrics (1.7.0): reply, resolution and wait times in calendar and business minutes, comment and touch counts (with --source zendesk; differences from dbt_zendesk in DESIGN §4).
-- @param now timestamp now | What a status still open counts up to (dbt_zendesk: the warehouse's current time; default: when the report runs). Give it to get the same numbers twice.
-- @column ticket_id - | The ticket (`ticket.id`).
-- @column status - | Its current status.
-- @column priority - | Its current priority.
-- @column group_name - | Its current group's name; NULL when it has none or the group is deleted.
-- @column created_channel - | `ticket.via_channel`, as Zendesk writes it.
-- @column created_at - | When the ticket was created (UTC).
-- @column first_reply_time_calendar_minutes minutes | From creation to the first agent reply, (whole seconds) / 60, 4 decimals. The reply is the first public agent comment after the ticket's first public comment; when an agent wrote that one after an internal note, it is the reply itself. NULL without a public agent comment or a reply.
-- @column first_reply_time_business_minutes minutes | The same span in the business minutes of the ticket's schedules (each schedule over the part of the span it was the ticket's). NULL when the calendar value is, or the lake has no schedule.
-- @column first_resolution_calendar_minutes minutes | Minute boundaries crossed from creation to the first solve (the first close when never solved); NULL without one.
-- @column final_resolution_calendar_minutes minutes | The same to the last solve (else the last close).
-- @column first_resolution_business_minutes minutes | Business minutes from creation to the first solve; NULL unless the ticket is solved or closed now.
-- @column full_resolution_business_minutes minutes | Business minutes from creation to the last solve; NULL unless the ticket is solved or closed now.
-- @column count_resolutions count | Times the status became solved (0 for a ticket only ever closed); NULL when never solved or closed.
-- @column count_reopens count | count_resolutions - 1, at least 0; NULL likewise.
-- @column count_agent_comments count | Comments, public or internal, by agents and admins.
-- @column count_public_agent_comments count | Public comments by agents and admins.
-- @column count_end_user_comments count | Comments by end users.
-- @column total_agent_replies count | Public agent comments, except the ticket's first public comment.
-- @column count_ticket_handoffs count | Different agents who commented (dbt_zendesk's meaning: not assignment changes).
-- @column unique_assignee_count count | Different assignees in the ticket's history; NULL without assignee history.
-- @column is_one_touch_resolution - | Solved or closed with exactly one public agent comment.
-- @column is_two_touch_resolution - | Solved or closed with exactly two.
-- @column is_multi_touch_resolution - | Solved or closed with any other number, none included; false for a ticket without comments.
-- @column agent_wait_time_in_calendar_minutes minutes | Minutes pending (each status span's minute boundaries, summed); NULL without status history.
-- @column requester_wait_time_in_calendar_minutes minutes | Minutes new, open or on hold.
-- @column on_hold_time_in_calendar_minutes minutes | Minutes on hold.
-- How each column follows dbt_zendesk, and where it does not (every ticket
-- is a row; exact duplicate history rows count once; business time with
-- the tz database at the true instant and holidays as whole local days;
-- no reply or no solve is NULL in business time too): DESIGN §4
-- "ticket_metrics". Times are floored to whole seconds, as dbt's datediff
-- in seconds is. The per-ticket facts are `zendesk_ticket_facts`, computed
-- once per session (a view or CTE read twice is computed twice).
WITH triggered AS (
  SELECT DISTINCT ticket_id, CAST(schedule_id AS VARCHAR) AS calendar_id, created_at
  FROM ticket_schedule
),
events AS (
  -- The ticket's schedules: the default one from its creation unless a
  -- trigger set another within 5 seconds, then each trigger's, each until
  -- the next. From `ticket` itself, so the comments and the history are
  -- grouped once.
  SELECT t.id AS ticket_id, d.calendar_id, arrow_cast(t.created_at, 'Int64') / 1000000 AS valid_from
  FROM ticket t
  CROSS JOIN zendesk_default_schedule d
  WHERE NOT EXISTS (
    SELECT 1 FROM triggered s
    WHERE s.ticket_id = t.id
      AND s.created_at >= t.created_at
      AND s.created_at <= t.created_at + INTERVAL '5 seconds'
  )
  UNION ALL
  SELECT ticket_id, calendar_id, arrow_cast(created_at, 'Int64') / 1000000 AS valid_from
  FROM triggered
),
calendars AS (
  SELECT DISTINCT calendar_id FROM business_hours
),
spans AS (
  SELECT
    e.ticket_id, e.calendar_id, e.valid_from,
    CASE WHEN e.next_ticket = e.ticket_id THEN e.next_from END AS valid_until,
    k.calendar_id IS NOT NULL AS known
  FROM (
    SELECT
      ticket_id, calendar_id, valid_from,
      lead(ticket_id) OVER (ORDER BY ticket_id, valid_from, calendar_id) AS next_ticket,
      lead(valid_from) OVER (ORDER BY ticket_id, valid_from, calendar_id) AS next_from
    FROM events
  ) AS e
  LEFT JOIN calendars k ON k.calendar_id = e.calendar_id
),
business AS (
  -- A schedule counts the part of [creation, target) it was the ticket's;
  -- a deleted schedule counts nothing. Times in whole seconds. A ticket
  -- with no schedule at all (a lake without schedules) has no span: NULL.
  SELECT
    s.ticket_id,
    sum(CASE
      WHEN s.known AND t.reply_second > s.valid_from THEN business_seconds(
        arrow_cast(s.valid_from * 1000000, 'Timestamp(Microsecond, None)'),
        arrow_cast(least(coalesce(s.valid_until, t.reply_second), t.reply_second) * 1000000, 'Timestamp(Microsecond, None)'),
        s.calendar_id)
      ELSE 0 END) AS reply_seconds,
    sum(CASE
      WHEN s.known AND t.first_solved_second > s.valid_from THEN business_seconds(
        arrow_cast(s.valid_from * 1000000, 'Timestamp(Microsecond, None)'),
        arrow_cast(least(coalesce(s.valid_until, t.first_solved_second), t.first_solved_second) * 1000000, 'Timestamp(Microsecond, None)'),
        s.calendar_id)
      ELSE 0 END) AS first_solved_seconds,
    sum(CASE
      WHEN s.known AND t.last_solved_second > s.valid_from THEN business_seconds(
        arrow_cast(s.valid_from * 1000000, 'Timestamp(Microsecond, None)'),
        arrow_cast(least(coalesce(s.valid_until, t.last_solved_second), t.last_solved_second) * 1000000, 'Timestamp(Microsecond, None)'),
        s.calendar_id)
      ELSE 0 END) AS last_solved_seconds
  FROM spans s
  JOIN zendesk_ticket_facts t ON t.ticket_id = s.ticket_id
  GROUP BY s.ticket_id
)
SELECT
  t.ticket_id,
  t.status,
  t.priority,
  g.name AS group_name,
  t.via_channel AS created_channel,
  t.created_at,
  CASE WHEN t.public_agent_comments > 0 THEN
    round((t.reply_second - t.created_second) / 60.0, 4)
  END AS first_reply_time_calendar_minutes,
  CASE WHEN t.public_agent_comments > 0 AND t.reply_second IS NOT NULL THEN
    round(b.reply_seconds / 60.0, 4)
  END AS first_reply_time_business_minutes,
  arrow_cast(t.first_solved_at, 'Int64') / 60000000
    - arrow_cast(t.created_at, 'Int64') / 60000000 AS first_resolution_calendar_minutes,
  arrow_cast(t.last_solved_at, 'Int64') / 60000000
    - arrow_cast(t.created_at, 'Int64') / 60000000 AS final_resolution_calendar_minutes,
  CASE WHEN t.status IN ('solved', 'closed') AND t.first_solved_at IS NOT NULL THEN
    round(b.first_solved_seconds / 60.0, 4)
  END AS first_resolution_business_minutes,
  CASE WHEN t.status IN ('solved', 'closed') AND t.last_solved_at IS NOT NULL THEN
    round(b.last_solved_seconds / 60.0, 4)
  END AS full_resolution_business_minutes,
  CASE WHEN t.solves_or_closes > 0 THEN t.solves END AS count_resolutions,
  CASE WHEN t.solves_or_closes > 0 THEN greatest(t.solves - 1, 0) END AS count_reopens,
  t.agent_comments AS count_agent_comments,
  t.public_agent_comments AS count_public_agent_comments,
  t.end_user_comments AS count_end_user_comments,
  t.agent_replies AS total_agent_replies,
  t.handoffs AS count_ticket_handoffs,
  t.assignees AS unique_assignee_count,
  coalesce(t.has_comments AND lower(t.status) IN ('solved', 'closed')
    AND t.public_agent_comments = 1, false) AS is_one_touch_resolution,
  coalesce(t.has_comments AND lower(t.status) IN ('solved', 'closed')
    AND t.public_agent_comments = 2, false) AS is_two_touch_resolution,
  coalesce(t.has_comments AND lower(t.status) IN ('solved', 'closed')
    AND t.public_agent_comments NOT IN (1, 2), false) AS is_multi_touch_resolution,
  t.agent_wait + CASE WHEN t.last_value = 'pending' THEN open_minutes ELSE 0 END
    AS agent_wait_time_in_calendar_minutes,
  t.requester_wait + CASE WHEN t.last_value IN ('new', 'open', 'hold') THEN open_minutes ELSE 0 END
    AS requester_wait_time_in_calendar_minutes,
  t.on_hold + CASE WHEN t.last_value = 'hold' THEN open_minutes ELSE 0 END
    AS on_hold_time_in_calendar_minutes
FROM (
  -- The still open last status span, to $now.
  SELECT
    *,
    arrow_cast($now, 'Int64') / 60000000 - arrow_cast(last_updated, 'Int64') / 60000000 AS open_minutes
  FROM zendesk_ticket_facts
) AS t
LEFT JOIN business b ON b.ticket_id = t.ticket_id
LEFT JOIN "group" g ON g.id = t.group_id AND NOT coalesce(g._fivetran_deleted, false)
ORDER BY t.ticket_id
