-- DuckDB twin of queries/reports/retention.sql (kpiql report retention),
-- clause by clause. Parameters: $start, $end (TIMESTAMPTZ), $lookback_days
-- (BIGINT). Tables: views.sql. Dates are the instants' dates in the
-- session TimeZone (the runner's --time-zone), the lookback calendar days
-- there; round(x, d) is df_round(x, d).
WITH bounds AS (
    SELECT
        CAST($start AS DATE) AS first_day,
        CAST($end AS DATE) AS end_day,
        $start - to_days(CAST($lookback_days AS INTEGER)) AS lookback_start
),
base AS (
    SELECT
        c.customer_id,
        c.segment,
        c.churned_at IS NULL OR c.churned_at >= b.end_day AS retained
    FROM customers c
    CROSS JOIN bounds b
    WHERE c.since <= b.first_day AND (c.churned_at IS NULL OR c.churned_at >= b.first_day)
),
contacts AS (
    SELECT
        i.customer_id,
        bool_or(i.escalated) AS escalated,
        bool_or(i.contact_seq = 1 AND i.agent_id IS NOT NULL AND NOT i.abandoned AND NOT i.resolved) AS fcr_miss
    FROM interactions i
    CROSS JOIN bounds b
    WHERE i.created_at >= b.lookback_start AND i.created_at < $start
    GROUP BY i.customer_id
),
bad_csat AS (
    SELECT DISTINCT s.customer_id
    FROM surveys s
    CROSS JOIN bounds b
    WHERE s.kind = 'csat' AND s.score <= 2
        AND s.submitted_at >= b.lookback_start AND s.submitted_at < $start
),
experienced AS (
    SELECT
        base.segment,
        base.retained,
        coalesce(k.escalated, false) AS escalated,
        q.customer_id IS NOT NULL AS bad_csat,
        coalesce(k.fcr_miss, false) AS fcr_miss,
        k.customer_id IS NULL AS no_contact
    FROM base
    LEFT JOIN contacts k ON k.customer_id = base.customer_id
    LEFT JOIN bad_csat q ON q.customer_id = base.customer_id
)
SELECT
    segment,
    count(*) AS customers_at_start,
    count(*) FILTER (WHERE retained) AS retained,
    df_round(CAST(100.0 AS DOUBLE) * count(*) FILTER (WHERE retained) / count(*), 2) AS retention_pct,
    df_round(CAST(100.0 AS DOUBLE) * count(*) FILTER (WHERE retained AND escalated)
        / nullif(count(*) FILTER (WHERE escalated), 0), 2) AS retention_pct_escalated,
    df_round(CAST(100.0 AS DOUBLE) * count(*) FILTER (WHERE retained AND bad_csat)
        / nullif(count(*) FILTER (WHERE bad_csat), 0), 2) AS retention_pct_bad_csat,
    df_round(CAST(100.0 AS DOUBLE) * count(*) FILTER (WHERE retained AND fcr_miss)
        / nullif(count(*) FILTER (WHERE fcr_miss), 0), 2) AS retention_pct_fcr_miss,
    df_round(CAST(100.0 AS DOUBLE) * count(*) FILTER (WHERE retained AND no_contact)
        / nullif(count(*) FILTER (WHERE no_contact), 0), 2) AS retention_pct_no_contact
FROM experienced
GROUP BY segment
ORDER BY segment NULLS LAST
