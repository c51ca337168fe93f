-- DuckDB twin of kpiql's Zendesk report ticket_metrics: an independent
-- implementation of dbt_zendesk 1.7.0's zendesk__ticket_metrics as
-- docs/upstream/dbt_zendesk-ticket-metrics.md describes it (section numbers
-- below are that file's), with kpiql's deviations:
--   D1 every ticket is a row (left joins only); group_name NULL for a
--      missing or _fivetran_deleted group.
--   D2 exact duplicate ticket_field_history rows (ticket_id, field_name,
--      updated, value) count once.
--   D3 the open last status segment ends at $now, not current_timestamp.
--   D4 business minutes from the schedules' real open windows (IANA rules at
--      the true instant; holidays close whole local days; no 1000 h or
--      52-week caps); see the "business time" part below.
--   D5 first_reply_time_business_minutes NULL with no public agent comment or
--      no reply; D6 resolution business minutes NULL unless status is solved
--      or closed and a solved/closed history exists; D7 round(x, 4) on first
--      reply calendar and all business minutes.
--
-- Run by bench/zendesk_twin.py, which creates the views ticket,
-- ticket_comment, ticket_field_history, "user", "group", schedule,
-- schedule_holiday, ticket_schedule (Fivetran names, declared types;
-- timestamps are TIMESTAMP meaning UTC), the table zone_names(zendesk_name,
-- iana_name), sets TimeZone to UTC and binds $now (TIMESTAMPTZ).
--
-- All times below are TIMESTAMP values meaning UTC instants.
-- minute boundaries crossed = date_diff('minute', a, b) (DuckDB counts
-- boundaries: floor_minute(b) - floor_minute(a)); the same with 'second'.
-- round(x, 4) is written round(x * 1e4) / 1e4: DataFusion's rounding of a
-- double (half away from zero after scaling), which DuckDB's round(x, 4)
-- can differ from on exact halves.
WITH
params AS (
    SELECT CAST($now AS TIMESTAMPTZ)::TIMESTAMP AS now_utc
),

-- ---------------------------------------------------------------- tickets
-- §2.1 with D1: every ticket, current dimensions.
tk AS (
    SELECT
        t.id AS ticket_id,
        t.status,
        t.priority,
        g.name AS group_name,
        t.via_channel AS created_channel,
        t.created_at
    FROM ticket AS t
    LEFT JOIN "group" AS g
        ON g.id = t.group_id AND g._fivetran_deleted IS NOT TRUE
),

-- --------------------------------------------------------------- comments
-- §2.2: comments inner-joined to their author; the role is the author's
-- current role. Read twice (counts, next reply): re-scanning is cheaper
-- than materialising 10 M rows.
cm AS NOT MATERIALIZED (
    SELECT
        c.ticket_id,
        c.user_id,
        c.created,
        c."public" AS is_public,
        CASE
            WHEN u.role IN ('end-user', 'not set') THEN 'external_comment'
            WHEN u.role IN ('agent', 'admin') THEN 'internal_comment'
            ELSE 'unknown'
        END AS commenter_role
    FROM ticket_comment AS c
    JOIN "user" AS u ON u.id = c.user_id
),
-- Per ticket: the comment counts (§3), the first public comment F (ordered
-- by time, then role text ascending: a struct compares field by field) and
-- the earliest private comment.
cm_ticket AS (
    SELECT
        ticket_id,
        count(*) FILTER (WHERE commenter_role = 'internal_comment') AS count_agent_comments,
        count(*) FILTER (WHERE commenter_role = 'internal_comment' AND is_public)
            AS count_public_agent_comments,
        count(*) FILTER (WHERE commenter_role = 'external_comment') AS count_end_user_comments,
        count(DISTINCT user_id) FILTER (WHERE commenter_role = 'internal_comment')
            AS count_ticket_handoffs,
        min({'ts': created, 'role': commenter_role}) FILTER (WHERE is_public) AS first_public,
        min(created) FILTER (WHERE NOT is_public) AS first_private_at
    FROM cm
    GROUP BY ticket_id
),
-- The earliest public internal comment strictly after F's time.
cm_next_agent_reply AS (
    SELECT c.ticket_id, min(c.created) AS next_agent_reply_at
    FROM cm AS c
    JOIN cm_ticket AS k USING (ticket_id)
    WHERE c.is_public
        AND c.commenter_role = 'internal_comment'
        AND c.created > k.first_public.ts
    GROUP BY c.ticket_id
),
-- §3 first reply: F itself when F's author is not an end user and a private
-- comment came at or before F's time; else the next public agent comment.
-- total_agent_replies: public agent comments other than F.
cm_reply AS (
    SELECT
        k.ticket_id,
        k.count_agent_comments,
        k.count_public_agent_comments,
        k.count_end_user_comments,
        k.count_ticket_handoffs,
        k.count_public_agent_comments
            - CASE WHEN k.first_public.role = 'internal_comment' THEN 1 ELSE 0 END
            AS total_agent_replies,
        CASE
            WHEN k.first_public.role <> 'external_comment'
                AND k.first_private_at <= k.first_public.ts
                THEN k.first_public.ts
            ELSE r.next_agent_reply_at
        END AS agent_responded_at
    FROM cm_ticket AS k
    LEFT JOIN cm_next_agent_reply AS r USING (ticket_id)
),

-- ---------------------------------------------------------- field history
-- D2: exact duplicates once.
fh AS MATERIALIZED (
    SELECT DISTINCT ticket_id, field_name, updated, value
    FROM ticket_field_history
    WHERE field_name IN ('status', 'assignee_id')
),
-- §2.3 with D3: status segments [updated, next status updated or $now).
-- Rows at the same time are ordered by value so that the result is
-- deterministic (the earlier one gets a zero-length segment).
status_seg AS (
    SELECT
        ticket_id,
        value AS status,
        updated AS valid_from,
        coalesce(
            lead(updated) OVER (PARTITION BY ticket_id ORDER BY updated, value),
            (SELECT now_utc FROM params)
        ) AS valid_to
    FROM fh
    WHERE field_name = 'status'
),
-- §2.4 solved times and counts, §3 wait times (each segment its own
-- minute-boundary count; 0 when never in the state, NULL without history
-- through the left join below).
status_ticket AS (
    SELECT
        ticket_id,
        coalesce(
            min(valid_from) FILTER (WHERE status = 'solved'),
            min(valid_from) FILTER (WHERE status = 'closed')
        ) AS first_solved_at,
        coalesce(
            max(valid_from) FILTER (WHERE status = 'solved'),
            max(valid_from) FILTER (WHERE status = 'closed')
        ) AS last_solved_at,
        CASE WHEN bool_or(status IN ('solved', 'closed'))
            THEN count(*) FILTER (WHERE status = 'solved')
        END AS count_resolutions,
        coalesce(sum(date_diff('minute', valid_from, valid_to))
            FILTER (WHERE status = 'pending'), 0) AS agent_wait_minutes,
        coalesce(sum(date_diff('minute', valid_from, valid_to))
            FILTER (WHERE status IN ('new', 'open', 'hold')), 0) AS requester_wait_minutes,
        coalesce(sum(date_diff('minute', valid_from, valid_to))
            FILTER (WHERE status = 'hold'), 0) AS on_hold_minutes
    FROM status_seg
    GROUP BY ticket_id
),
-- §3: distinct assignee values (text); NULL without assignee_id history.
assignee_ticket AS (
    SELECT ticket_id, count(DISTINCT value) AS unique_assignee_count
    FROM fh
    WHERE field_name = 'assignee_id'
    GROUP BY ticket_id
),

-- One row per ticket with everything but business time.
base AS MATERIALIZED (
    SELECT
        t.*,
        r.count_agent_comments,
        r.count_public_agent_comments,
        r.count_end_user_comments,
        r.count_ticket_handoffs,
        r.total_agent_replies,
        r.agent_responded_at,
        s.first_solved_at,
        s.last_solved_at,
        s.count_resolutions,
        s.agent_wait_minutes,
        s.requester_wait_minutes,
        s.on_hold_minutes,
        a.unique_assignee_count
    FROM tk AS t
    LEFT JOIN cm_reply AS r USING (ticket_id)
    LEFT JOIN status_ticket AS s USING (ticket_id)
    LEFT JOIN assignee_ticket AS a USING (ticket_id)
),

-- ---------------------------------------------------------- business time
-- §2.6(a) with D4: the ticket's schedule events. The default schedule is
-- the oldest non-deleted schedule (created_at, then smallest id); it starts
-- at ticket.created_at unless a ticket_schedule row lies within
-- [created_at, created_at + 5 s]. Every ticket_schedule row is an event.
-- Each event lasts until the next one (ties by schedule_id), the last
-- forever.
default_schedule AS (
    SELECT id AS schedule_id
    FROM schedule
    WHERE _fivetran_deleted IS NOT TRUE
    ORDER BY created_at, id
    LIMIT 1
),
sched_event AS (
    SELECT ticket_id, schedule_id, date_trunc('second', created_at) AS valid_from
    FROM ticket_schedule
    UNION ALL
    SELECT t.ticket_id, d.schedule_id, date_trunc('second', t.created_at)
    FROM tk AS t
    CROSS JOIN default_schedule AS d
    WHERE NOT EXISTS (
        SELECT 1
        FROM ticket_schedule AS s
        WHERE s.ticket_id = t.ticket_id
            AND s.created_at BETWEEN t.created_at AND t.created_at + INTERVAL 5 SECOND
    )
),
sched_span AS (
    SELECT
        ticket_id,
        schedule_id,
        valid_from,
        lead(valid_from) OVER (PARTITION BY ticket_id ORDER BY valid_from, schedule_id)
            AS valid_to
    FROM sched_event
),
-- The targets that are reported (D5, D6): the reply when there is a public
-- agent comment and a reply; the first and last solve when the status is
-- solved or closed. UNPIVOT drops the NULLs.
biz_target AS (
    SELECT ticket_id, target, target_at
    FROM (
        SELECT
            ticket_id,
            CASE WHEN count_public_agent_comments > 0 THEN date_trunc('second', agent_responded_at) END AS reply,
            CASE WHEN status IN ('solved', 'closed') THEN date_trunc('second', first_solved_at) END AS first_solve,
            CASE WHEN status IN ('solved', 'closed') THEN date_trunc('second', last_solved_at) END AS last_solve
        FROM base
    ) UNPIVOT (target_at FOR target IN (reply, first_solve, last_solve))
),
-- Tickets with a schedule at all (none: business minutes are NULL).
has_span AS (
    SELECT DISTINCT ticket_id FROM sched_span
),
-- Event k spans [valid_from_k, least(valid_to_k, target)); empty or
-- negative spans count 0 and are dropped.
biz_span AS MATERIALIZED (
    SELECT *
    FROM (
        SELECT
            s.ticket_id,
            g.target,
            s.schedule_id,
            s.valid_from AS span_from,
            CASE WHEN s.valid_to IS NULL OR s.valid_to > g.target_at
                THEN g.target_at ELSE s.valid_to END AS span_to
        FROM sched_span AS s
        JOIN biz_target AS g USING (ticket_id)
    )
    WHERE span_to > span_from
),

-- Open windows. A schedule row is [start_time, end_time) minutes from
-- Sunday 00:00 local; it is cut at local midnights into pieces of day
-- day_offset (0 = Sunday; 7 = the next Sunday for a row past the week's
-- end), placed on every local week covering the spans, and a piece on a
-- holiday date of its schedule is dropped (a holiday closes whole local
-- days). A zone is a Zendesk (Rails) name through zone_names
-- (case-insensitive) or else an IANA name as it is; a zone DuckDB does not
-- know gives the schedule no windows (0 business minutes).
sched_row AS (
    SELECT s.id AS schedule_id, s.start_time, s.end_time, z.iana
    FROM schedule AS s
    CROSS JOIN LATERAL (
        SELECT coalesce(
            (SELECT min(n.iana_name) FROM zone_names AS n
             WHERE lower(n.zendesk_name) = lower(s.time_zone)),
            s.time_zone) AS iana
    ) AS z
    WHERE s._fivetran_deleted IS NOT TRUE
        AND s.end_time > s.start_time
        AND z.iana IN (SELECT name FROM pg_timezone_names())
),
sched_day_piece AS (
    SELECT
        schedule_id,
        iana,
        day_offset,
        greatest(start_time, day_offset * 1440) - day_offset * 1440 AS open_minute,
        least(end_time, (day_offset + 1) * 1440) - day_offset * 1440 AS close_minute
    FROM (
        SELECT
            *,
            unnest(range(floor(start_time / 1440.0)::BIGINT, ceil(end_time / 1440.0)::BIGINT))
                AS day_offset
        FROM sched_row
    )
),
biz_range AS (
    SELECT min(span_from)::DATE - 8 AS lo, max(span_to)::DATE + 8 AS hi
    FROM biz_span
),
local_week AS (
    SELECT unnest(range((lo - dayofweek(lo)::INTEGER)::TIMESTAMP, hi::TIMESTAMP, INTERVAL 7 DAY))::DATE
        AS sunday
    FROM biz_range
),
holiday_day AS (
    SELECT DISTINCT
        schedule_id,
        unnest(range(start_date::TIMESTAMP, end_date::TIMESTAMP + INTERVAL 1 DAY, INTERVAL 1 DAY))::DATE
            AS local_date
    FROM schedule_holiday
    WHERE end_date >= start_date AND _fivetran_deleted IS NOT TRUE
),
open_piece AS (
    SELECT
        schedule_id,
        iana,
        local_date + to_minutes(open_minute) AS open_wall,
        local_date + to_minutes(close_minute) AS close_wall
    FROM (
        SELECT p.*, w.sunday + p.day_offset::INTEGER AS local_date
        FROM sched_day_piece AS p
        CROSS JOIN local_week AS w
    ) AS x
    WHERE NOT EXISTS (
        SELECT 1 FROM holiday_day AS h
        WHERE h.schedule_id = x.schedule_id AND h.local_date = x.local_date
    )
),

-- Wall clock -> instant in the IANA zone. DuckDB (ICU) reads a time in a
-- DST gap with the offset before the jump (Warsaw 2024-03-31 02:30 ->
-- 01:30 UTC, i.e. 03:30 CEST, not the gap's end 03:00 CEST = 01:00 UTC) and
-- an ambiguous time as its second occurrence (2024-10-27 02:30 -> 01:30 UTC,
-- not 00:30 UTC). Our rule: an ambiguous time is its first occurrence, a
-- time in a gap is the instant of the jump (the gap's end). So: candidates
-- are ICU's reading r and the readings with the offsets in force a day
-- before and a day after r; a candidate is real when it reads back as the
-- wall time; the earliest real one wins. With none the time is in a gap:
-- the first second (between the candidates) whose local time is past it.
wall AS (
    SELECT DISTINCT iana, wall
    FROM (
        SELECT iana, open_wall AS wall FROM open_piece
        UNION ALL
        SELECT iana, close_wall FROM open_piece
    )
),
wall_guess AS MATERIALIZED (
    SELECT
        iana,
        wall,
        [r,
         wall - (timezone(iana, (r - INTERVAL 1 DAY)::TIMESTAMPTZ) - (r - INTERVAL 1 DAY)),
         wall - (timezone(iana, (r + INTERVAL 1 DAY)::TIMESTAMPTZ) - (r + INTERVAL 1 DAY))]
            AS candidates
    FROM (SELECT iana, wall, timezone(iana, wall)::TIMESTAMP AS r FROM wall)
),
wall_real AS (
    SELECT iana, wall, min(c) AS instant
    FROM (SELECT iana, wall, unnest(candidates) AS c FROM wall_guess)
    WHERE timezone(iana, c::TIMESTAMPTZ) = wall
    GROUP BY iana, wall
),
wall_gap AS (
    SELECT iana, wall, min(t) AS instant
    FROM (
        SELECT
            g.iana,
            g.wall,
            unnest(range(list_min(g.candidates), list_max(g.candidates) + INTERVAL 1 SECOND,
                         INTERVAL 1 SECOND)) AS t
        FROM wall_guess AS g
        WHERE NOT EXISTS (
            SELECT 1 FROM wall_real AS w WHERE w.iana = g.iana AND w.wall = g.wall
        )
    )
    WHERE timezone(iana, t::TIMESTAMPTZ) > wall
    GROUP BY iana, wall
),
wall_instant AS (
    SELECT * FROM wall_real
    UNION ALL
    SELECT * FROM wall_gap
),
open_window AS (
    SELECT p.schedule_id, o.instant AS opens_at, c.instant AS closes_at
    FROM open_piece AS p
    JOIN wall_instant AS o ON o.iana = p.iana AND o.wall = p.open_wall
    JOIN wall_instant AS c ON c.iana = p.iana AND c.wall = p.close_wall
    WHERE c.instant > o.instant
),
-- Overlapping (or touching) windows of a schedule merge into one.
open_window_reach AS (
    SELECT
        *,
        max(closes_at) OVER (
            PARTITION BY schedule_id ORDER BY opens_at, closes_at
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) AS reach
    FROM open_window
),
open_window_island AS (
    SELECT
        *,
        sum(CASE WHEN reach >= opens_at THEN 0 ELSE 1 END) OVER (
            PARTITION BY schedule_id ORDER BY opens_at, closes_at ROWS UNBOUNDED PRECEDING
        ) AS island
    FROM open_window_reach
),
open_merged AS (
    SELECT schedule_id, min(opens_at) AS opens_at, max(closes_at) AS closes_at
    FROM open_window_island
    GROUP BY schedule_id, island
),
-- The schedule's clock: before_us = open microseconds of all earlier
-- windows, so open(t) = before_us + least(t - opens_at, open_us) for the
-- last window opening at or before t (0 before the first).
open_clock AS (
    SELECT
        schedule_id,
        opens_at,
        epoch_us(opens_at) AS opens_us,
        epoch_us(closes_at) - epoch_us(opens_at) AS open_us,
        coalesce(sum(epoch_us(closes_at) - epoch_us(opens_at)) OVER (
            PARTITION BY schedule_id ORDER BY opens_at
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ), 0)::BIGINT AS before_us
    FROM open_merged
),
-- Business microseconds of a span = open(span_to) - open(span_from).
biz_span_us AS (
    SELECT
        s.ticket_id,
        s.target,
        coalesce(e.before_us + least(epoch_us(s.span_to) - e.opens_us, e.open_us), 0)
            - coalesce(b.before_us + least(epoch_us(s.span_from) - b.opens_us, b.open_us), 0)
            AS business_us
    FROM biz_span AS s
    ASOF LEFT JOIN open_clock AS b
        ON b.schedule_id = s.schedule_id AND s.span_from >= b.opens_at
    ASOF LEFT JOIN open_clock AS e
        ON e.schedule_id = s.schedule_id AND s.span_to >= e.opens_at
),
biz_ticket AS (
    SELECT
        ticket_id,
        sum(business_us) FILTER (WHERE target = 'reply') AS reply_us,
        sum(business_us) FILTER (WHERE target = 'first_solve') AS first_solve_us,
        sum(business_us) FILTER (WHERE target = 'last_solve') AS last_solve_us
    FROM biz_span_us
    GROUP BY ticket_id
)

-- ------------------------------------------------------------------ output
SELECT
    b.ticket_id,
    b.status,
    b.priority,
    b.group_name,
    b.created_channel,
    b.created_at,
    CASE WHEN b.count_public_agent_comments > 0 THEN
        round(date_diff('second', b.created_at, b.agent_responded_at) / 60.0 * 1e4) / 1e4
    END AS first_reply_time_calendar_minutes,
    CASE WHEN b.count_public_agent_comments > 0 AND b.agent_responded_at IS NOT NULL
        AND hs.ticket_id IS NOT NULL THEN
        round(coalesce(z.reply_us, 0) / 6e7 * 1e4) / 1e4
    END AS first_reply_time_business_minutes,
    date_diff('minute', b.created_at, b.first_solved_at) AS first_resolution_calendar_minutes,
    date_diff('minute', b.created_at, b.last_solved_at) AS final_resolution_calendar_minutes,
    CASE WHEN b.status IN ('solved', 'closed') AND b.first_solved_at IS NOT NULL
        AND hs.ticket_id IS NOT NULL THEN
        round(coalesce(z.first_solve_us, 0) / 6e7 * 1e4) / 1e4
    END AS first_resolution_business_minutes,
    CASE WHEN b.status IN ('solved', 'closed') AND b.last_solved_at IS NOT NULL
        AND hs.ticket_id IS NOT NULL THEN
        round(coalesce(z.last_solve_us, 0) / 6e7 * 1e4) / 1e4
    END AS full_resolution_business_minutes,
    b.count_resolutions,
    -- greatest(count_resolutions - 1, 0), NULL without history (DuckDB's
    -- greatest skips NULLs, hence a CASE)
    CASE WHEN b.count_resolutions > 1 THEN b.count_resolutions - 1
        WHEN b.count_resolutions IS NOT NULL THEN 0 END AS count_reopens,
    coalesce(b.count_agent_comments, 0) AS count_agent_comments,
    coalesce(b.count_public_agent_comments, 0) AS count_public_agent_comments,
    coalesce(b.count_end_user_comments, 0) AS count_end_user_comments,
    coalesce(b.total_agent_replies, 0) AS total_agent_replies,
    coalesce(b.count_ticket_handoffs, 0) AS count_ticket_handoffs,
    b.unique_assignee_count,
    coalesce(lower(b.status) IN ('solved', 'closed')
        AND b.count_public_agent_comments = 1, false) AS is_one_touch_resolution,
    coalesce(lower(b.status) IN ('solved', 'closed')
        AND b.count_public_agent_comments = 2, false) AS is_two_touch_resolution,
    coalesce(lower(b.status) IN ('solved', 'closed')
        AND b.count_public_agent_comments NOT IN (1, 2), false) AS is_multi_touch_resolution,
    b.agent_wait_minutes AS agent_wait_time_in_calendar_minutes,
    b.requester_wait_minutes AS requester_wait_time_in_calendar_minutes,
    b.on_hold_minutes AS on_hold_time_in_calendar_minutes
FROM base AS b
LEFT JOIN biz_ticket AS z USING (ticket_id)
LEFT JOIN has_span AS hs USING (ticket_id)
ORDER BY b.ticket_id
