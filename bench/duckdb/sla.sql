-- DuckDB twin of queries/reports/sla.sql (kpiql report sla), clause by
-- clause. Parameters: $start, $end (TIMESTAMPTZ), $first_response_urgent,
-- $first_response_high, $first_response_normal, $first_response_low,
-- $resolution_urgent, $resolution_high, $resolution_normal, $resolution_low
-- (DOUBLE). Tables and the tickets view: views.sql.
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
contacts AS (
    SELECT
        coalesce(i.priority, 'normal') AS priority,
        t.first_response_target AS target,
        CASE
            WHEN i.first_response_at IS NOT NULL
                THEN date_part('epoch', i.first_response_at) - date_part('epoch', i.created_at)
            WHEN date_part('epoch', $end) - date_part('epoch', i.created_at) > t.first_response_target
                THEN date_part('epoch', $end) - date_part('epoch', i.created_at)
        END AS elapsed
    FROM interactions i
    JOIN targets t ON t.priority = coalesce(i.priority, 'normal')
    WHERE i.created_at >= $start AND i.created_at < $end AND NOT i.abandoned
),
period_tickets AS (
    SELECT * FROM tickets
    WHERE created_at >= $start AND created_at < $end
        AND ticket_id IN (
            SELECT ticket_id FROM interactions WHERE created_at >= $start AND created_at < $end
        )
),
opened AS (
    SELECT
        coalesce(k.priority, 'normal') AS priority,
        t.resolution_target AS target,
        CASE
            WHEN k.resolved_at IS NOT NULL
                THEN date_part('epoch', k.resolved_at) - date_part('epoch', k.created_at)
            WHEN date_part('epoch', $end) - date_part('epoch', k.created_at) > t.resolution_target
                THEN date_part('epoch', $end) - date_part('epoch', k.created_at)
        END AS elapsed
    FROM period_tickets k
    JOIN targets t ON t.priority = coalesce(k.priority, 'normal')
),
response AS (
    SELECT
        priority,
        count(*) AS contacts,
        CAST(100.0 AS DOUBLE) * count(*) FILTER (WHERE elapsed <= target)
            / nullif(count(*) FILTER (WHERE elapsed IS NOT NULL AND target IS NOT NULL), 0) AS compliance,
        count(*) FILTER (WHERE elapsed > target) AS breached,
        count(*) FILTER (WHERE elapsed IS NULL) AS pending
    FROM contacts GROUP BY priority
),
resolution AS (
    SELECT
        priority,
        count(*) AS tickets,
        CAST(100.0 AS DOUBLE) * count(*) FILTER (WHERE elapsed <= target)
            / nullif(count(*) FILTER (WHERE elapsed IS NOT NULL AND target IS NOT NULL), 0) AS compliance,
        count(*) FILTER (WHERE elapsed > target) AS breached,
        count(*) FILTER (WHERE elapsed IS NULL) AS pending
    FROM opened GROUP BY priority
)
SELECT
    t.priority,
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
LEFT JOIN response r ON r.priority = t.priority
LEFT JOIN resolution s ON s.priority = t.priority
ORDER BY t.ord, t.priority
