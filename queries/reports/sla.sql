-- @report sla
-- @description First-response and resolution compliance against per-priority targets, one row per priority.
-- @param start timestamp latest_full_month_start | First instant of the period, inclusive (--from; default: the first day of the latest full month in the data).
-- @param end timestamp latest_full_month_end | End of the period, exclusive (--to; default: the end of that month).
-- @param first_response_urgent float 900 | First-response target for urgent contacts, seconds (15 minutes).
-- @param first_response_high float 3600 | First-response target for high priority, seconds (1 hour).
-- @param first_response_normal float 14400 | First-response target for normal priority and contacts without a priority, seconds (4 hours).
-- @param first_response_low float 86400 | First-response target for low priority, seconds (24 hours).
-- @param resolution_urgent float 14400 | Resolution target for urgent tickets, seconds (4 hours).
-- @param resolution_high float 86400 | Resolution target for high priority, seconds (1 day).
-- @param resolution_normal float 259200 | Resolution target for normal priority and tickets without a priority, seconds (3 days).
-- @param resolution_low float 604800 | Resolution target for low priority, seconds (7 days).
-- @param compliance_goal_pct float 90 | The compliance the charts draw as the goal line (the page only; no column depends on it).
-- @param business_time bool true | true: measure the contacts and tickets of a team with a calendar (`teams`, `business_hours`) in its business time; false: everything in calendar time.
-- @column priority - | urgent, high, normal, low ("normal" includes contacts without a priority), then any other priority found in the period, measured against the normal targets.
-- @column clock - | business: contacts and tickets of teams with a calendar, times in business seconds of that calendar; calendar: the rest (or all, with business_time=false), times in elapsed seconds.
-- @column contacts count | Contacts created in the period that did not abandon.
-- @column first_response_target_seconds seconds | The target applied.
-- @column first_response_compliance_pct percent | Contacts answered within target / contacts counted.
-- @column first_response_breached count | Answered late, or not answered and the target has passed by $end.
-- @column first_response_pending count | Not answered yet, target not yet passed at $end: not counted.
-- @column tickets count | Tickets whose first contact was created in the period (priority of that contact).
-- @column resolution_target_seconds seconds | The target applied.
-- @column resolution_compliance_pct percent | Tickets resolved within target / tickets counted.
-- @column resolution_breached count | Resolved late, or unresolved and the target has passed by $end.
-- @column resolution_pending count | Unresolved, target not yet passed at $end: not counted.
-- @chart bars x=priority y=first_response_compliance_pct series=clock ref=$compliance_goal_pct | First response within target, per priority
-- @chart bars x=priority y=resolution_compliance_pct series=clock ref=$compliance_goal_pct | Resolution within target, per priority
-- A contact or ticket with no response / resolution whose target time has
-- passed by $end is a breach; one still within its target is pending and not
-- counted. Abandoned contacts never got a response by design and are left out
-- of first-response compliance (see abandonment rate); so are bot contacts
-- (`bot` true): a bot answers at once, and the person a bot hands the ticket
-- to is measured on the next contact.
-- A priority other than the four known ones is not dropped: it gets a row
-- of its own, after the known ones, measured against the normal targets
-- (`kpiql validate` names such values).
-- Clocks (issue 13): a contact's clock is its team's calendar
-- (`team_calendars`), a ticket's that of its first contact's team; the
-- same targets apply, counted in business seconds on the business clock.
-- Each priority has a `business` row when business_time is on and some
-- team has a calendar, and always a `calendar` row.
WITH known AS (
    SELECT * FROM (VALUES
        ('urgent', $first_response_urgent, $resolution_urgent, 1),
        ('high', $first_response_high, $resolution_high, 2),
        ('normal', $first_response_normal, $resolution_normal, 3),
        ('low', $first_response_low, $resolution_low, 4)
    ) AS t(priority, first_response_target, resolution_target, ord)
),
targets AS (
    SELECT * FROM known
    UNION ALL
    SELECT u.priority, n.first_response_target, n.resolution_target, 5
    FROM (
        SELECT DISTINCT priority FROM interactions
        WHERE created_at >= $start AND created_at < $end
            AND priority IS NOT NULL AND priority NOT IN (SELECT priority FROM known)
    ) AS u
    CROSS JOIN (SELECT * FROM known WHERE priority = 'normal') AS n
),
-- (From a VALUES list, not a UNION ALL of two FROM-less SELECTs: Ballista 55
-- plans those arms as row placeholders of unequal shape and then rejects
-- the stage's task metrics, so the job never ends on a cluster.)
clocks AS (
    SELECT clock FROM (VALUES ('business'), ('calendar')) AS v(clock)
    WHERE clock = 'calendar'
        OR ($business_time AND EXISTS (SELECT 1 FROM team_calendars WHERE calendar_id IS NOT NULL))
),
timed_contacts AS (
    SELECT i.*, CASE WHEN $business_time THEN c.calendar_id END AS calendar_id
    FROM interactions i
    LEFT JOIN team_calendars c ON c.team = i.team
    WHERE i.created_at >= $start AND i.created_at < $end AND NOT i.abandoned AND i.bot IS NOT TRUE
),
contacts AS (
    SELECT
        coalesce(i.priority, 'normal') AS priority,
        CASE WHEN i.calendar_id IS NULL THEN 'calendar' ELSE 'business' END AS clock,
        t.first_response_target AS target,
        CASE
            WHEN i.first_response_at IS NOT NULL
                THEN coalesce(
                    business_seconds(i.created_at, i.first_response_at, i.calendar_id),
                    date_part('epoch', i.first_response_at) - date_part('epoch', i.created_at))
            WHEN coalesce(
                    business_seconds(i.created_at, $end, i.calendar_id),
                    date_part('epoch', $end) - date_part('epoch', i.created_at)) > t.first_response_target
                THEN coalesce(
                    business_seconds(i.created_at, $end, i.calendar_id),
                    date_part('epoch', $end) - date_part('epoch', i.created_at))
        END AS elapsed
    FROM timed_contacts i
    JOIN targets t ON t.priority = coalesce(i.priority, 'normal')
),
period_tickets AS (
    SELECT * FROM tickets
    WHERE created_at >= $start AND created_at < $end
        -- only the period's tickets, below the grouping (see the view)
        AND (ticket_created_at IS NULL
            OR (ticket_created_at >= $start AND ticket_created_at < $end))
        AND ticket_id IN (
            SELECT ticket_id FROM interactions WHERE created_at >= $start AND created_at < $end
        )
),
timed_tickets AS (
    SELECT k.*, CASE WHEN $business_time THEN c.calendar_id END AS calendar_id
    FROM period_tickets k
    LEFT JOIN team_calendars c ON c.team = k.team
),
opened AS (
    SELECT
        coalesce(k.priority, 'normal') AS priority,
        CASE WHEN k.calendar_id IS NULL THEN 'calendar' ELSE 'business' END AS clock,
        t.resolution_target AS target,
        CASE
            WHEN k.resolved_at IS NOT NULL
                THEN coalesce(
                    business_seconds(k.created_at, k.resolved_at, k.calendar_id),
                    date_part('epoch', k.resolved_at) - date_part('epoch', k.created_at))
            WHEN coalesce(
                    business_seconds(k.created_at, $end, k.calendar_id),
                    date_part('epoch', $end) - date_part('epoch', k.created_at)) > t.resolution_target
                THEN coalesce(
                    business_seconds(k.created_at, $end, k.calendar_id),
                    date_part('epoch', $end) - date_part('epoch', k.created_at))
        END AS elapsed
    FROM timed_tickets k
    JOIN targets t ON t.priority = coalesce(k.priority, 'normal')
),
response AS (
    SELECT
        priority,
        clock,
        count(*) AS contacts,
        sla_compliance(elapsed, target) AS compliance,
        count(*) FILTER (WHERE elapsed > target) AS breached,
        count(*) FILTER (WHERE elapsed IS NULL) AS pending
    FROM contacts GROUP BY priority, clock
),
resolution AS (
    SELECT
        priority,
        clock,
        count(*) AS tickets,
        sla_compliance(elapsed, target) AS compliance,
        count(*) FILTER (WHERE elapsed > target) AS breached,
        count(*) FILTER (WHERE elapsed IS NULL) AS pending
    FROM opened GROUP BY priority, clock
)
SELECT
    t.priority,
    k.clock,
    coalesce(r.contacts, 0) AS contacts,
    t.first_response_target AS first_response_target_seconds,
    round(r.compliance, 2) AS first_response_compliance_pct,
    coalesce(r.breached, 0) AS first_response_breached,
    coalesce(r.pending, 0) AS first_response_pending,
    coalesce(s.tickets, 0) AS tickets,
    t.resolution_target AS resolution_target_seconds,
    round(s.compliance, 2) AS resolution_compliance_pct,
    coalesce(s.breached, 0) AS resolution_breached,
    coalesce(s.pending, 0) AS resolution_pending
FROM targets t
CROSS JOIN clocks k
LEFT JOIN response r ON r.priority = t.priority AND r.clock = k.clock
LEFT JOIN resolution s ON s.priority = t.priority AND s.clock = k.clock
ORDER BY t.ord, t.priority, k.clock
