-- DuckDB twin of queries/reports/management.sql (kpiql report management),
-- clause by clause. Parameters: $start, $end (TIMESTAMPTZ),
-- $fiscal_year_start_month (BIGINT). Tables: views.sql.
-- KPI functions as their DESIGN §2 formulas (100.0 written as a DOUBLE, as
-- DataFusion types it; kpiql computes 100.0 * part / total in f64):
--   csat(score) = 100 * count(*) FILTER (score >= 4) / nullif(count(score), 0)
--   nps(score)  = 100 * (count(*) FILTER (score >= 9) - count(*) FILTER (score <= 6))
--                     / nullif(count(score), 0)
-- The runner sets TimeZone to the report time zone (--time-zone, UTC by
-- default), so date_trunc('month', TIMESTAMPTZ), the casts to DATE and
-- `$start - INTERVAL '1 year'` are that zone's months and calendar, by
-- DuckDB's own (ICU) rules.
-- round(x, d) is df_round(x, d) (views.sql): DataFusion rounds a double
-- as (x * 10^d).round() / 10^d, DuckDB's round differs on exact halves.
WITH cur AS (
    SELECT
        CAST(date_trunc('month', created_at) AS DATE) AS month,
        count(*) AS interactions,
        avg(wait_seconds) FILTER (WHERE channel IN ('phone', 'chat') AND NOT abandoned AND agent_id IS NOT NULL) AS asa_seconds,
        avg(handle_seconds) AS aht_seconds
    FROM interactions
    WHERE created_at >= $start AND created_at < $end
    GROUP BY 1
),
prev AS (
    SELECT
        CAST(CAST(date_trunc('month', created_at) AS DATE) + INTERVAL '1 year' AS DATE) AS month,
        count(*) AS interactions,
        avg(handle_seconds) AS aht_seconds
    FROM interactions
    WHERE created_at >= $start - INTERVAL '1 year' AND created_at < $end - INTERVAL '1 year'
    GROUP BY 1
),
ytd AS (
    SELECT
        month,
        sum(interactions) OVER (PARTITION BY fiscal_year ORDER BY month) AS ytd_interactions
    FROM (
        SELECT
            month,
            count(*) AS interactions,
            CASE WHEN date_part('month', month) >= $fiscal_year_start_month
                 THEN date_part('year', month)
                 ELSE date_part('year', month) - 1 END AS fiscal_year
        FROM (
            SELECT CAST(date_trunc('month', created_at) AS DATE) AS month
            FROM interactions
            WHERE created_at < $end
                AND created_at >= CAST(make_date(
                    CAST(CASE WHEN date_part('month', $start) >= $fiscal_year_start_month
                              THEN date_part('year', $start)
                              ELSE date_part('year', $start) - 1 END AS INTEGER),
                    CAST($fiscal_year_start_month AS INTEGER), 1) AS TIMESTAMPTZ)
        ) AS contacts
        GROUP BY month
    ) AS monthly
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
    WHERE submitted_at >= $start AND submitted_at < $end
    GROUP BY 1
),
prev_answers AS (
    SELECT
        CAST(CAST(date_trunc('month', submitted_at) AS DATE) + INTERVAL '1 year' AS DATE) AS month,
        CAST(100.0 AS DOUBLE) * count(*) FILTER (WHERE kind = 'csat' AND score >= 4)
            / nullif(count(score) FILTER (WHERE kind = 'csat'), 0) AS csat_pct,
        CAST(100.0 AS DOUBLE) * (count(*) FILTER (WHERE kind = 'nps' AND score >= 9)
                                 - count(*) FILTER (WHERE kind = 'nps' AND score <= 6))
            / nullif(count(score) FILTER (WHERE kind = 'nps'), 0) AS nps
    FROM surveys
    WHERE submitted_at >= $start - INTERVAL '1 year' AND submitted_at < $end - INTERVAL '1 year'
    GROUP BY 1
),
spend AS (
    SELECT month, sum(amount) AS total_cost
    FROM costs
    GROUP BY 1
),
months AS (
    SELECT
        c.*,
        CAST(c.month AS TIMESTAMPTZ) < $start
            OR CAST(c.month + INTERVAL '1 month' AS TIMESTAMPTZ) > $end AS partial
    FROM cur c
)
SELECT
    m.month,
    m.partial,
    m.interactions,
    y.ytd_interactions,
    df_round(m.asa_seconds, 1) AS asa_seconds,
    df_round(a.csat_pct, 2) AS csat_pct,
    df_round(a.nps, 2) AS nps,
    df_round(m.aht_seconds, 1) AS aht_seconds,
    s.total_cost,
    df_round(CASE WHEN NOT m.partial THEN CAST(s.total_cost AS DOUBLE) / m.interactions END, 2) AS cost_per_interaction,
    p.interactions AS interactions_prev_year,
    df_round(pa.csat_pct, 2) AS csat_pct_prev_year,
    df_round(pa.nps, 2) AS nps_prev_year,
    df_round(p.aht_seconds, 1) AS aht_seconds_prev_year,
    df_round(CASE WHEN NOT m.partial THEN CAST(ps.total_cost AS DOUBLE) / p.interactions END, 2) AS cost_per_interaction_prev_year
FROM months m
LEFT JOIN ytd y ON y.month = m.month
LEFT JOIN answers a ON a.month = m.month
LEFT JOIN spend s ON s.month = m.month
LEFT JOIN prev p ON p.month = m.month
LEFT JOIN prev_answers pa ON pa.month = m.month
LEFT JOIN spend ps ON ps.month = CAST(m.month - INTERVAL '1 year' AS DATE)
ORDER BY m.month
