-- DuckDB twin of queries/reports/channels.sql (kpiql report channels), clause
-- by clause. Parameters: $start, $end (TIMESTAMPTZ). Tables and the tickets
-- view: views.sql.
-- KPI functions as their DESIGN §2 formulas (100.0 written as a DOUBLE, as
-- DataFusion types it; kpiql computes 100.0 * part / total in f64):
--   fcr(contact_seq, resolved)
--     = 100 * count(*) FILTER (contact_seq = 1 AND resolved)
--           / nullif(count(*) FILTER (contact_seq = 1 AND resolved IS NOT NULL), 0)
--   escalation_rate(escalated) = 100 * count(*) FILTER (escalated) / nullif(count(escalated), 0)
--   csat(score) = 100 * count(*) FILTER (score >= 4) / nullif(count(score), 0)
-- date_part('epoch', TIMESTAMPTZ) is a DOUBLE with the fraction in both
-- engines. median is quantile_cont(0.5) in DuckDB, DataFusion's median the
-- mean of the two middle values: the same number up to the last bit.
-- round(x, d) is df_round(x, d) (views.sql): DataFusion rounds a double
-- as (x * 10^d).round() / 10^d, DuckDB's round differs on exact halves.
WITH contacts AS (
    SELECT
        i.*,
        c.calendar_id,
        open_at(c.calendar_id, i.created_at, o1.before, o1.s, o1.e) AS open_created,
        open_at(c.calendar_id, i.first_response_at, o2.before, o2.s, o2.e) AS open_response
    FROM interactions i
    LEFT JOIN team_calendars c ON c.team = i.team
    ASOF LEFT JOIN biz_intervals o1 ON o1.calendar_id = c.calendar_id AND epoch_us(i.created_at) >= o1.s
    ASOF LEFT JOIN biz_intervals o2 ON o2.calendar_id = c.calendar_id AND epoch_us(i.first_response_at) >= o2.s
    WHERE i.created_at >= $start AND i.created_at < $end
),
work AS (
    SELECT
        channel,
        count(*) AS interactions,
        avg(date_part('epoch', first_response_at) - date_part('epoch', created_at)) AS avg_first_response_seconds,
        avg((open_response - open_created) / 1e6) AS avg_first_response_business_seconds,
        CAST(100.0 AS DOUBLE) * count(*) FILTER (WHERE contact_seq = 1 AND resolved AND agent_id IS NOT NULL AND NOT abandoned)
            / nullif(count(*) FILTER (WHERE contact_seq = 1 AND resolved IS NOT NULL AND agent_id IS NOT NULL AND NOT abandoned), 0) AS fcr_pct,
        CAST(100.0 AS DOUBLE) * count(*) FILTER (WHERE escalated AND agent_id IS NOT NULL AND NOT abandoned)
            / nullif(count(escalated) FILTER (WHERE agent_id IS NOT NULL AND NOT abandoned), 0) AS escalation_rate_pct
    FROM contacts
    GROUP BY channel
),
resolution AS (
    SELECT
        channel,
        median(hours) AS median_hours,
        percentile_cont(0.9) WITHIN GROUP (ORDER BY hours) AS p90_hours,
        median(business_hours) AS median_business_hours,
        percentile_cont(0.9) WITHIN GROUP (ORDER BY business_hours) AS p90_business_hours
    FROM (
        SELECT
            k.channel,
            (date_part('epoch', k.resolved_at) - date_part('epoch', k.created_at)) / 3600.0 AS hours,
            (open_at(c.calendar_id, k.resolved_at, o2.before, o2.s, o2.e)
                - open_at(c.calendar_id, k.created_at, o1.before, o1.s, o1.e)) / 1e6 / 3600.0 AS business_hours
        FROM tickets k
        LEFT JOIN team_calendars c ON c.team = k.team
        ASOF LEFT JOIN biz_intervals o1 ON o1.calendar_id = c.calendar_id AND epoch_us(k.created_at) >= o1.s
        ASOF LEFT JOIN biz_intervals o2 ON o2.calendar_id = c.calendar_id AND epoch_us(k.resolved_at) >= o2.s
        WHERE k.created_at >= $start AND k.created_at < $end AND k.resolved_at IS NOT NULL
            AND k.ticket_id IN (
                SELECT ticket_id FROM interactions WHERE created_at >= $start AND created_at < $end
            )
    ) AS resolved_tickets
    GROUP BY channel
),
answers AS (
    SELECT
        i.channel,
        CAST(100.0 AS DOUBLE) * count(*) FILTER (WHERE s.kind = 'csat' AND s.score >= 4)
            / nullif(count(s.score) FILTER (WHERE s.kind = 'csat'), 0) AS csat_pct
    FROM surveys s
    JOIN interactions i ON i.interaction_id = s.interaction_id
    -- Only the kind used above: the join holds less (issue 11).
    WHERE s.kind = 'csat' AND s.submitted_at >= $start AND s.submitted_at < $end
    GROUP BY i.channel
)
SELECT
    w.channel,
    w.interactions,
    df_round(CAST(100.0 AS DOUBLE) * w.interactions / sum(w.interactions) OVER (), 2) AS share_pct,
    df_round(w.avg_first_response_seconds, 1) AS avg_first_response_seconds,
    df_round(w.avg_first_response_business_seconds, 1) AS avg_first_response_business_seconds,
    df_round(r.median_hours, 2) AS median_resolution_hours,
    df_round(r.p90_hours, 2) AS p90_resolution_hours,
    df_round(r.median_business_hours, 2) AS median_resolution_business_hours,
    df_round(r.p90_business_hours, 2) AS p90_resolution_business_hours,
    df_round(w.fcr_pct, 2) AS fcr_pct,
    df_round(a.csat_pct, 2) AS csat_pct,
    df_round(w.escalation_rate_pct, 2) AS escalation_rate_pct
FROM work w
LEFT JOIN resolution r ON r.channel = w.channel
LEFT JOIN answers a ON a.channel = w.channel
ORDER BY w.interactions DESC, w.channel
