-- DuckDB twin of queries/reports/sla.sql (kpiql report sla), clause by
-- clause. Parameters: $start, $end (TIMESTAMPTZ), $first_response_urgent,
-- $first_response_high, $first_response_normal, $first_response_low,
-- $resolution_urgent, $resolution_high, $resolution_normal, $resolution_low
-- (DOUBLE), $business_time (BOOLEAN). Tables and the tickets view: views.sql.
-- KPI function as its DESIGN §2 formula (100.0 written as a DOUBLE, as
-- DataFusion types it; kpiql computes 100.0 * part / total in f64):
--   sla_compliance(elapsed, target)
--     = 100 * count(*) FILTER (elapsed <= target)
--           / nullif(count(*) FILTER (elapsed IS NOT NULL AND target IS NOT NULL), 0)
-- (rows with a NULL argument, here the pending ones, are not counted).
-- DataFusion's ordered aggregate first_value(x ORDER BY ...) is DuckDB's
-- first(x ORDER BY ...).
-- round(x, d) is df_round(x, d) (views.sql): DataFusion rounds a double
-- as (x * 10^d).round() / 10^d, DuckDB's round differs on exact halves.
-- business_seconds(a, b, calendar): (open(b) - open(a)) / 1e6 with open()
-- from ASOF joins on the calendars the runner expands with Python's
-- zoneinfo (open_at in views.sql).
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
clocks AS (
    SELECT 'business' AS clock
    WHERE $business_time AND EXISTS (SELECT 1 FROM team_calendars WHERE calendar_id IS NOT NULL)
    UNION ALL
    SELECT 'calendar'
),
team_clock AS (
    SELECT team, CASE WHEN $business_time THEN calendar_id END AS calendar_id FROM team_calendars
),
timed_contacts AS (
    SELECT
        i.*,
        c.calendar_id,
        open_at(c.calendar_id, i.created_at, o1.before, o1.s, o1.e) AS open_created,
        open_at(c.calendar_id, i.first_response_at, o2.before, o2.s, o2.e) AS open_response,
        open_at(c.calendar_id, i.period_end, o3.before, o3.s, o3.e) AS open_end
    -- ASOF needs a column of the left side: $end as one.
    FROM (SELECT *, CAST($end AS TIMESTAMPTZ) AS period_end FROM interactions) i
    LEFT JOIN team_clock c ON c.team = i.team
    ASOF LEFT JOIN biz_intervals o1 ON o1.calendar_id = c.calendar_id AND epoch_us(i.created_at) >= o1.s
    ASOF LEFT JOIN biz_intervals o2 ON o2.calendar_id = c.calendar_id AND epoch_us(i.first_response_at) >= o2.s
    ASOF LEFT JOIN biz_intervals o3 ON o3.calendar_id = c.calendar_id AND epoch_us(i.period_end) >= o3.s
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
                    (i.open_response - i.open_created) / 1e6,
                    date_part('epoch', i.first_response_at) - date_part('epoch', i.created_at))
            WHEN coalesce(
                    (i.open_end - i.open_created) / 1e6,
                    date_part('epoch', $end) - date_part('epoch', i.created_at)) > t.first_response_target
                THEN coalesce(
                    (i.open_end - i.open_created) / 1e6,
                    date_part('epoch', $end) - date_part('epoch', i.created_at))
        END AS elapsed
    FROM timed_contacts i
    JOIN targets t ON t.priority = coalesce(i.priority, 'normal')
),
period_tickets AS (
    SELECT * FROM tickets
    WHERE created_at >= $start AND created_at < $end
        -- only the tickets with a contact in the period (see the view)
        AND ticket_id IN (
            SELECT ticket_id FROM interactions WHERE created_at >= $start AND created_at < $end
        )
),
timed_tickets AS (
    SELECT
        k.*,
        c.calendar_id,
        open_at(c.calendar_id, k.created_at, o1.before, o1.s, o1.e) AS open_created,
        open_at(c.calendar_id, k.resolved_at, o2.before, o2.s, o2.e) AS open_resolved,
        open_at(c.calendar_id, k.period_end, o3.before, o3.s, o3.e) AS open_end
    FROM (SELECT *, CAST($end AS TIMESTAMPTZ) AS period_end FROM period_tickets) k
    LEFT JOIN team_clock c ON c.team = k.team
    ASOF LEFT JOIN biz_intervals o1 ON o1.calendar_id = c.calendar_id AND epoch_us(k.created_at) >= o1.s
    ASOF LEFT JOIN biz_intervals o2 ON o2.calendar_id = c.calendar_id AND epoch_us(k.resolved_at) >= o2.s
    ASOF LEFT JOIN biz_intervals o3 ON o3.calendar_id = c.calendar_id AND epoch_us(k.period_end) >= o3.s
),
opened AS (
    SELECT
        coalesce(k.priority, 'normal') AS priority,
        CASE WHEN k.calendar_id IS NULL THEN 'calendar' ELSE 'business' END AS clock,
        t.resolution_target AS target,
        CASE
            WHEN k.resolved_at IS NOT NULL
                THEN coalesce(
                    (k.open_resolved - k.open_created) / 1e6,
                    date_part('epoch', k.resolved_at) - date_part('epoch', k.created_at))
            WHEN coalesce(
                    (k.open_end - k.open_created) / 1e6,
                    date_part('epoch', $end) - date_part('epoch', k.created_at)) > t.resolution_target
                THEN coalesce(
                    (k.open_end - k.open_created) / 1e6,
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
        CAST(100.0 AS DOUBLE) * count(*) FILTER (WHERE elapsed <= target)
            / nullif(count(*) FILTER (WHERE elapsed IS NOT NULL AND target IS NOT NULL), 0) AS compliance,
        count(*) FILTER (WHERE elapsed > target) AS breached,
        count(*) FILTER (WHERE elapsed IS NULL) AS pending
    FROM contacts GROUP BY priority, clock
),
resolution AS (
    SELECT
        priority,
        clock,
        count(*) AS tickets,
        CAST(100.0 AS DOUBLE) * count(*) FILTER (WHERE elapsed <= target)
            / nullif(count(*) FILTER (WHERE elapsed IS NOT NULL AND target IS NOT NULL), 0) AS compliance,
        count(*) FILTER (WHERE elapsed > target) AS breached,
        count(*) FILTER (WHERE elapsed IS NULL) AS pending
    FROM opened GROUP BY priority, clock
)
SELECT
    t.priority,
    k.clock,
    coalesce(r.contacts, 0) AS contacts,
    t.first_response_target AS first_response_target_seconds,
    df_round(r.compliance, 2) AS first_response_compliance_pct,
    coalesce(r.breached, 0) AS first_response_breached,
    coalesce(r.pending, 0) AS first_response_pending,
    coalesce(s.tickets, 0) AS tickets,
    t.resolution_target AS resolution_target_seconds,
    df_round(s.compliance, 2) AS resolution_compliance_pct,
    coalesce(s.breached, 0) AS resolution_breached,
    coalesce(s.pending, 0) AS resolution_pending
FROM targets t
CROSS JOIN clocks k
LEFT JOIN response r ON r.priority = t.priority AND r.clock = k.clock
LEFT JOIN resolution s ON s.priority = t.priority AND s.clock = k.clock
ORDER BY t.ord, t.priority, k.clock
