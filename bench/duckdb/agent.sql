-- DuckDB twin of queries/reports/agent.sql (kpiql report agent), clause by
-- clause. Parameters: $start, $end (TIMESTAMPTZ). Tables and the tickets
-- view: views.sql.
-- KPI functions as their DESIGN §2 formulas (100.0 is written as a DOUBLE,
-- as DataFusion types it; kpiql computes 100.0 * part / total in f64):
--   fcr(contact_seq, resolved)
--     = 100 * count(*) FILTER (contact_seq = 1 AND resolved)
--           / nullif(count(*) FILTER (contact_seq = 1 AND resolved IS NOT NULL), 0)
--   escalation_rate(escalated) = 100 * count(*) FILTER (escalated) / nullif(count(escalated), 0)
--   csat(score) = 100 * count(*) FILTER (score >= 4) / nullif(count(score), 0)
--   occupancy(state, seconds) = 100 * coalesce(sum(seconds) FILTER (state = 'handling'), 0)
--       / nullif(sum(seconds) FILTER (state IN ('handling', 'available')), 0)
--   utilization(state, seconds) = 100 * coalesce(sum(seconds) FILTER (state = 'handling'), 0)
--       / nullif(sum(seconds) FILTER (state IS NOT NULL), 0)
-- (NULL when no row is counted or, for the time ratios, the seconds add up
-- to 0.) kpiql's domain errors (a score out of range, negative seconds) are
-- not mirrored: DuckDB would count such rows.
-- DataFusion's ordered aggregate first_value(x ORDER BY ...) is DuckDB's
-- first(x ORDER BY ...).
-- round(x, d) is df_round(x, d) (views.sql): DataFusion rounds a double
-- as (x * 10^d).round() / 10^d, DuckDB's round differs on exact halves.
WITH contacts AS (
    SELECT * FROM interactions
    WHERE created_at >= $start AND created_at < $end AND agent_id IS NOT NULL AND NOT abandoned
),
work AS (
    SELECT
        agent_id,
        first(team ORDER BY created_at DESC) AS team,
        count(*) AS handled,
        count(*) FILTER (WHERE resolved) AS solved,
        avg(handle_seconds) AS aht_seconds,
        CAST(100.0 AS DOUBLE) * count(*) FILTER (WHERE contact_seq = 1 AND resolved)
            / nullif(count(*) FILTER (WHERE contact_seq = 1 AND resolved IS NOT NULL), 0) AS fcr_pct,
        CAST(100.0 AS DOUBLE) * count(*) FILTER (WHERE escalated)
            / nullif(count(escalated), 0) AS escalation_rate_pct
    FROM contacts
    GROUP BY agent_id
),
answers AS (
    SELECT
        i.agent_id,
        CAST(100.0 AS DOUBLE) * count(*) FILTER (WHERE s.kind = 'csat' AND s.score >= 4)
            / nullif(count(s.score) FILTER (WHERE s.kind = 'csat'), 0) AS csat_pct,
        count(*) FILTER (WHERE s.kind = 'csat') AS csat_answers
    FROM surveys s
    JOIN interactions i ON i.interaction_id = s.interaction_id
    -- Only the kind used above: the join holds less (issue 11).
    WHERE s.kind = 'csat' AND s.submitted_at >= $start AND s.submitted_at < $end AND i.agent_id IS NOT NULL
    GROUP BY i.agent_id
),
time AS (
    SELECT
        agent_id,
        CAST(100.0 AS DOUBLE) * coalesce(sum(seconds) FILTER (WHERE state = 'handling'), 0)
            / nullif(sum(seconds) FILTER (WHERE state IN ('handling', 'available')), 0) AS occupancy_pct,
        CAST(100.0 AS DOUBLE) * coalesce(sum(seconds) FILTER (WHERE state = 'handling'), 0)
            / nullif(sum(seconds) FILTER (WHERE state IS NOT NULL), 0) AS utilization_pct,
        sum(seconds) / 3600.0 AS logged_in_hours
    FROM (
        SELECT
            agent_id,
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
    GROUP BY agent_id
)
SELECT
    w.agent_id,
    w.team,
    w.handled,
    df_round(w.handled / nullif(t.logged_in_hours, 0), 2) AS handled_per_logged_in_hour,
    df_round(w.solved / nullif(t.logged_in_hours, 0), 2) AS solved_per_logged_in_hour,
    df_round(w.aht_seconds, 1) AS aht_seconds,
    df_round(w.fcr_pct, 2) AS fcr_pct,
    df_round(a.csat_pct, 2) AS csat_pct,
    coalesce(a.csat_answers, 0) AS csat_answers,
    df_round(w.escalation_rate_pct, 2) AS escalation_rate_pct,
    df_round(t.occupancy_pct, 2) AS occupancy_pct,
    df_round(t.utilization_pct, 2) AS utilization_pct
FROM work w
LEFT JOIN answers a ON a.agent_id = w.agent_id
LEFT JOIN time t ON t.agent_id = w.agent_id
ORDER BY w.team NULLS LAST, w.agent_id
