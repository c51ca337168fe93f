-- DuckDB twin of queries/reports/management.sql (kpiql report management),
-- clause by clause. Parameters: $start, $end (TIMESTAMPTZ),
-- $fiscal_year_start_month (BIGINT). Tables: views.sql.
-- KPI functions as their DESIGN §2 formulas (100.0 written as a DOUBLE, as
-- DataFusion types it; kpiql computes 100.0 * part / total in f64):
--   csat(score) = 100 * count(*) FILTER (score >= 4) / nullif(count(score), 0)
--   nps(score)  = 100 * (count(*) FILTER (score >= 9) - count(*) FILTER (score <= 6))
--                     / nullif(count(score), 0)
-- The runner sets TimeZone to UTC, so date_trunc('month', TIMESTAMPTZ) and
-- the casts to DATE cut months in UTC as kpiql does.
-- round(x, d) is df_round(x, d) (views.sql): DataFusion rounds a double
-- as (x * 10^d).round() / 10^d, DuckDB's round differs on exact halves.
WITH months AS (
    SELECT
        CAST(date_trunc('month', created_at) AS DATE) AS month,
        count(*) AS interactions,
        avg(wait_seconds) FILTER (WHERE channel IN ('phone', 'chat') AND NOT abandoned AND agent_id IS NOT NULL) AS asa_seconds,
        avg(handle_seconds) AS aht_seconds
    FROM interactions
    WHERE created_at >= $start - INTERVAL '1 year' AND created_at < $end
    GROUP BY 1
),
answers AS (
    SELECT
        CAST(date_trunc('month', submitted_at) AS DATE) AS month,
        CAST(100.0 AS DOUBLE) * count(*) FILTER (WHERE kind = 'csat' AND score >= 4)
            / nullif(count(score) FILTER (WHERE kind = 'csat'), 0) AS csat_pct,
        CAST(100.0 AS DOUBLE) * (count(*) FILTER (WHERE kind = 'nps' AND score >= 9)
                                 - count(*) FILTER (WHERE kind = 'nps' AND score <= 6))
            / nullif(count(score) FILTER (WHERE kind = 'nps'), 0) AS nps
    FROM surveys
    WHERE submitted_at >= $start - INTERVAL '1 year' AND submitted_at < $end
    GROUP BY 1
),
spend AS (
    SELECT month, sum(amount) AS total_cost
    FROM costs
    GROUP BY 1
),
monthly AS (
    SELECT
        m.month,
        m.interactions,
        m.asa_seconds,
        a.csat_pct,
        a.nps,
        m.aht_seconds,
        c.total_cost,
        CAST(c.total_cost AS DOUBLE) / m.interactions AS cost_per_interaction,
        CASE WHEN date_part('month', m.month) >= $fiscal_year_start_month
             THEN date_part('year', m.month)
             ELSE date_part('year', m.month) - 1 END AS fiscal_year
    FROM months m
    LEFT JOIN answers a ON a.month = m.month
    LEFT JOIN spend c ON c.month = m.month
)
SELECT
    cur.month,
    cur.interactions,
    sum(cur.interactions) OVER (PARTITION BY cur.fiscal_year ORDER BY cur.month) AS ytd_interactions,
    df_round(cur.asa_seconds, 1) AS asa_seconds,
    df_round(cur.csat_pct, 2) AS csat_pct,
    df_round(cur.nps, 2) AS nps,
    df_round(cur.aht_seconds, 1) AS aht_seconds,
    cur.total_cost,
    df_round(cur.cost_per_interaction, 2) AS cost_per_interaction,
    prev.interactions AS interactions_prev_year,
    df_round(prev.csat_pct, 2) AS csat_pct_prev_year,
    df_round(prev.nps, 2) AS nps_prev_year,
    df_round(prev.aht_seconds, 1) AS aht_seconds_prev_year,
    df_round(prev.cost_per_interaction, 2) AS cost_per_interaction_prev_year
FROM monthly cur
LEFT JOIN monthly prev ON prev.month = cur.month - INTERVAL '1 year'
WHERE cur.month >= CAST($start AS DATE)
ORDER BY cur.month
