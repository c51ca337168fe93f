-- DuckDB twin of queries/reports/team_month.sql (kpiql report team_month),
-- clause by clause. Parameters: $start, $end (TIMESTAMPTZ),
-- $fiscal_year_start_month (BIGINT; kpiql uses it only for the default
-- period, and so does this file: not at all). Tables: views.sql.
-- KPI function as its DESIGN §2 formula (100.0 written as a DOUBLE, as
-- DataFusion types it; kpiql computes 100.0 * part / total in f64):
--   csat(score) = 100 * count(*) FILTER (score >= 4) / nullif(count(score), 0)
-- The runner sets TimeZone to the report time zone, so months are that
-- zone's (DuckDB's own ICU rules).
-- round(x, d) is df_round(x, d) (views.sql): DataFusion rounds a double
-- as (x * 10^d).round() / 10^d, DuckDB's round differs on exact halves.
WITH work AS (
    SELECT
        team,
        CAST(date_trunc('month', created_at) AS DATE) AS month,
        count(*) AS interactions,
        avg(handle_seconds) AS aht_seconds
    FROM interactions
    WHERE created_at >= $start AND created_at < $end
    GROUP BY 1, 2
),
answers AS (
    SELECT
        i.team,
        CAST(date_trunc('month', s.submitted_at) AS DATE) AS month,
        CAST(100.0 AS DOUBLE) * count(*) FILTER (WHERE s.kind = 'csat' AND s.score >= 4)
            / nullif(count(s.score) FILTER (WHERE s.kind = 'csat'), 0) AS csat_pct,
        count(*) FILTER (WHERE s.kind = 'csat') AS csat_answers
    FROM surveys s
    JOIN interactions i ON i.interaction_id = s.interaction_id
    -- Only the kind used above: the join holds less (issue 11).
    WHERE s.kind = 'csat' AND s.submitted_at >= $start AND s.submitted_at < $end
    GROUP BY 1, 2
)
SELECT
    w.team,
    w.month,
    CAST(w.month AS TIMESTAMPTZ) < $start
        OR CAST(w.month + INTERVAL '1 month' AS TIMESTAMPTZ) > $end AS partial,
    w.interactions,
    df_round(w.aht_seconds, 1) AS aht_seconds,
    df_round(a.csat_pct, 2) AS csat_pct,
    coalesce(a.csat_answers, 0) AS csat_answers
FROM work w
LEFT JOIN answers a ON (a.team IS NOT DISTINCT FROM w.team) AND a.month = w.month
ORDER BY w.team NULLS LAST, w.month
