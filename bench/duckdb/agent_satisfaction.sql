-- DuckDB twin of queries/reports/agent_satisfaction.sql (kpiql report
-- agent_satisfaction), clause by clause. Parameters: $start, $end
-- (TIMESTAMPTZ). Tables: views.sql. KPI functions as their DESIGN §2
-- formulas (100.0 written as a DOUBLE, as DataFusion types it):
--   esat(score) = csat(score) = 100 * count(*) FILTER (score >= 4) / nullif(count(score), 0)
--   nps(score)  = 100 * (count(*) FILTER (score >= 9) - count(*) FILTER (score <= 6))
--                     / nullif(count(score), 0)
-- Months: date_trunc in the session TimeZone (the report time zone). round(x, d) is
-- df_round(x, d).
WITH agents AS (
    SELECT
        team,
        CAST(date_trunc('month', submitted_at) AS DATE) AS month,
        CAST(100.0 AS DOUBLE) * count(*) FILTER (WHERE kind = 'esat' AND score >= 4)
            / nullif(count(score) FILTER (WHERE kind = 'esat'), 0) AS esat_pct,
        count(*) FILTER (WHERE kind = 'esat') AS esat_answers,
        CAST(100.0 AS DOUBLE) * (count(*) FILTER (WHERE kind = 'enps' AND score >= 9)
            - count(*) FILTER (WHERE kind = 'enps' AND score <= 6))
            / nullif(count(score) FILTER (WHERE kind = 'enps'), 0) AS enps,
        count(*) FILTER (WHERE kind = 'enps') AS enps_answers
    FROM agent_surveys
    WHERE submitted_at >= $start AND submitted_at < $end
    GROUP BY 1, 2
),
customers AS (
    SELECT
        i.team,
        CAST(date_trunc('month', s.submitted_at) AS DATE) AS month,
        CAST(100.0 AS DOUBLE) * count(*) FILTER (WHERE s.score >= 4)
            / nullif(count(s.score), 0) AS csat_pct,
        count(*) AS csat_answers
    FROM surveys s
    JOIN interactions i ON i.interaction_id = s.interaction_id
    WHERE s.kind = 'csat' AND s.submitted_at >= $start AND s.submitted_at < $end
    GROUP BY 1, 2
),
months AS (
    SELECT
        coalesce(a.team, c.team) AS team,
        coalesce(a.month, c.month) AS month,
        a.esat_pct,
        a.esat_answers,
        a.enps,
        a.enps_answers,
        c.csat_pct,
        c.csat_answers
    FROM agents a
    FULL JOIN customers c ON (c.team IS NOT DISTINCT FROM a.team) AND c.month = a.month
)
SELECT
    team,
    month,
    CAST(month AS TIMESTAMPTZ) < $start
        OR CAST(month + INTERVAL '1 month' AS TIMESTAMPTZ) > $end AS partial,
    df_round(esat_pct, 2) AS esat_pct,
    coalesce(esat_answers, 0) AS esat_answers,
    df_round(enps, 2) AS enps,
    coalesce(enps_answers, 0) AS enps_answers,
    df_round(csat_pct, 2) AS csat_pct,
    coalesce(csat_answers, 0) AS csat_answers
FROM months
ORDER BY team NULLS LAST, month
