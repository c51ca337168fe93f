-- DuckDB twin of queries/reports/team.sql (kpiql report team), clause by
-- clause. Parameters: $start, $end (TIMESTAMPTZ). Tables: views.sql.
-- KPI functions as their DESIGN §2 formulas (100.0 written as a DOUBLE, as
-- DataFusion types it; kpiql computes 100.0 * part / total in f64):
--   fcr(contact_seq, resolved)
--     = 100 * count(*) FILTER (contact_seq = 1 AND resolved)
--           / nullif(count(*) FILTER (contact_seq = 1 AND resolved IS NOT NULL), 0)
--   escalation_rate(escalated) = 100 * count(*) FILTER (escalated) / nullif(count(escalated), 0)
--   abandonment_rate(abandoned) = 100 * count(*) FILTER (abandoned) / nullif(count(abandoned), 0)
--   csat(score) = 100 * count(*) FILTER (score >= 4) / nullif(count(score), 0)
--   nps(score)  = 100 * (count(*) FILTER (score >= 9) - count(*) FILTER (score <= 6))
--                     / nullif(count(score), 0)
--   occupancy(state, seconds) = 100 * coalesce(sum(seconds) FILTER (state = 'handling'), 0)
--       / nullif(sum(seconds) FILTER (state IN ('handling', 'available')), 0)
--   utilization(state, seconds) = 100 * coalesce(sum(seconds) FILTER (state = 'handling'), 0)
--       / nullif(sum(seconds) FILTER (state IS NOT NULL), 0)
-- (NULL when no row is counted or, for the time ratios, the seconds add up
-- to 0.) date_part('epoch', TIMESTAMPTZ) is a DOUBLE with the fraction in
-- both engines.
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
        team,
        count(*) AS interactions,
        count(DISTINCT ticket_id) AS tickets,
        avg(handle_seconds) AS aht_seconds,
        avg(date_part('epoch', first_response_at) - date_part('epoch', created_at)) AS avg_first_response_seconds,
        avg((open_response - open_created) / 1e6) AS avg_first_response_business_seconds,
        max(wait_seconds) AS longest_wait_seconds,
        avg(hold_seconds) AS avg_hold_seconds,
        CAST(100.0 AS DOUBLE) * count(*) FILTER (WHERE contact_seq = 1 AND resolved AND agent_id IS NOT NULL AND NOT abandoned)
            / nullif(count(*) FILTER (WHERE contact_seq = 1 AND resolved IS NOT NULL AND agent_id IS NOT NULL AND NOT abandoned), 0) AS fcr_pct,
        CAST(100.0 AS DOUBLE) * count(*) FILTER (WHERE escalated AND agent_id IS NOT NULL AND NOT abandoned)
            / nullif(count(escalated) FILTER (WHERE agent_id IS NOT NULL AND NOT abandoned), 0) AS escalation_rate_pct,
        CAST(100.0 AS DOUBLE) * count(*) FILTER (WHERE abandoned)
            / nullif(count(abandoned), 0) AS abandonment_rate_pct,
        CAST(100.0 AS DOUBLE) * count(*) FILTER (WHERE contact_seq > 1) / count(*) AS repeat_contact_rate_pct,
        count(*) FILTER (WHERE agent_id IS NOT NULL AND NOT abandoned) AS handled,
        count(*) FILTER (WHERE resolved AND agent_id IS NOT NULL AND NOT abandoned) AS solved
    FROM contacts
    GROUP BY team
),
answers AS (
    SELECT
        i.team,
        CAST(100.0 AS DOUBLE) * count(*) FILTER (WHERE s.kind = 'csat' AND s.score >= 4)
            / nullif(count(s.score) FILTER (WHERE s.kind = 'csat'), 0) AS csat_pct,
        avg(s.score) FILTER (WHERE s.kind = 'csat') AS csat_mean_score,
        count(*) FILTER (WHERE s.kind = 'csat') AS csat_answers,
        CAST(100.0 AS DOUBLE) * (count(*) FILTER (WHERE s.kind = 'nps' AND s.score >= 9)
                                 - count(*) FILTER (WHERE s.kind = 'nps' AND s.score <= 6))
            / nullif(count(s.score) FILTER (WHERE s.kind = 'nps'), 0) AS nps
    FROM surveys s
    JOIN interactions i ON i.interaction_id = s.interaction_id
    -- Only the kinds used above: the join holds less (issue 11).
    WHERE s.kind IN ('csat', 'nps') AND s.submitted_at >= $start AND s.submitted_at < $end
    GROUP BY i.team
),
time AS (
    SELECT
        team,
        CAST(100.0 AS DOUBLE) * coalesce(sum(seconds) FILTER (WHERE state = 'handling'), 0)
            / nullif(sum(seconds) FILTER (WHERE state IN ('handling', 'available')), 0) AS occupancy_pct,
        CAST(100.0 AS DOUBLE) * coalesce(sum(seconds) FILTER (WHERE state = 'handling'), 0)
            / nullif(sum(seconds) FILTER (WHERE state IS NOT NULL), 0) AS utilization_pct,
        sum(seconds) / 3600.0 AS logged_in_hours
    FROM (
        SELECT
            team,
            state,
            CASE
                WHEN started_at >= $start
                    AND date_part('epoch', started_at) + seconds <= date_part('epoch', $end)
                    THEN seconds
                ELSE least(date_part('epoch', started_at) + seconds, date_part('epoch', $end))
                    - greatest(date_part('epoch', started_at), date_part('epoch', $start))
            END AS seconds
        FROM agent_states
        WHERE started_at < $end
            AND (started_at >= $start
                OR date_part('epoch', started_at) + seconds > date_part('epoch', $start))
    ) AS spans
    GROUP BY team
)
SELECT
    w.team,
    w.interactions,
    w.tickets,
    df_round(w.aht_seconds, 1) AS aht_seconds,
    df_round(w.avg_first_response_seconds, 1) AS avg_first_response_seconds,
    df_round(w.avg_first_response_business_seconds, 1) AS avg_first_response_business_seconds,
    df_round(w.longest_wait_seconds, 1) AS longest_wait_seconds,
    df_round(w.avg_hold_seconds, 1) AS avg_hold_seconds,
    df_round(t.occupancy_pct, 2) AS occupancy_pct,
    df_round(t.utilization_pct, 2) AS utilization_pct,
    df_round(a.csat_pct, 2) AS csat_pct,
    df_round(a.csat_mean_score, 2) AS csat_mean_score,
    coalesce(a.csat_answers, 0) AS csat_answers,
    df_round(a.nps, 2) AS nps,
    df_round(w.fcr_pct, 2) AS fcr_pct,
    df_round(w.escalation_rate_pct, 2) AS escalation_rate_pct,
    df_round(w.abandonment_rate_pct, 2) AS abandonment_rate_pct,
    df_round(w.repeat_contact_rate_pct, 2) AS repeat_contact_rate_pct,
    df_round(w.handled / nullif(t.logged_in_hours, 0), 2) AS handled_per_logged_in_hour,
    df_round(w.solved / nullif(t.logged_in_hours, 0), 2) AS solved_per_logged_in_hour
FROM work w
LEFT JOIN answers a ON a.team IS NOT DISTINCT FROM w.team
LEFT JOIN time t ON t.team IS NOT DISTINCT FROM w.team
ORDER BY w.team NULLS LAST
