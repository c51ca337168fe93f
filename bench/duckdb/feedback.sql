-- DuckDB twin of queries/reports/feedback.sql (kpiql report feedback),
-- clause by clause. Parameters: $start, $end (TIMESTAMPTZ), $top_terms
-- (BIGINT; unused here). Tables: views.sql. KPI functions as their DESIGN
-- §2 formulas: csat = 100 * count(score >= 4) / count(score); nps = 100 *
-- (count(score >= 9) - count(score <= 6)) / count(score); ces = avg(score).
-- The Wilson interval is written out as in the report.
-- @unchecked rising_terms: comment_terms (UAX #29 words without stop words) has no DuckDB counterpart; src/feedback has its own tests and tests/it/reports.rs works the column out by hand.
WITH bounds AS (
    SELECT CAST(date_trunc('month', $start) AS DATE) AS first_month
),
answers AS (
    SELECT
        CAST(date_trunc('month', s.submitted_at) AS DATE) AS month,
        s.kind,
        s.score,
        CASE s.kind WHEN 'csat' THEN s.score <= 2 WHEN 'nps' THEN s.score <= 6 ELSE s.score <= 3 END AS low
    FROM surveys s
    CROSS JOIN bounds b
    WHERE s.kind IN ('csat', 'nps', 'ces')
        AND s.submitted_at >= CAST(b.first_month - INTERVAL '1 month' AS TIMESTAMPTZ)
        AND s.submitted_at < $end
),
kpis AS (
    SELECT
        month,
        kind,
        count(*) AS answers,
        coalesce(
            CAST(100.0 AS DOUBLE) * count(*) FILTER (WHERE kind = 'csat' AND score >= 4)
                / nullif(count(score) FILTER (WHERE kind = 'csat'), 0),
            CAST(100.0 AS DOUBLE) * (count(*) FILTER (WHERE kind = 'nps' AND score >= 9)
                - count(*) FILTER (WHERE kind = 'nps' AND score <= 6))
                / nullif(count(score) FILTER (WHERE kind = 'nps'), 0),
            avg(CAST(score AS DOUBLE)) FILTER (WHERE kind = 'ces')
        ) AS kpi,
        count(*) FILTER (WHERE kind = 'csat' AND score >= 4) AS satisfied,
        count(*) FILTER (WHERE low) AS low_score_answers
    FROM answers
    GROUP BY month, kind
),
scored AS (
    SELECT
        *,
        CASE WHEN kind = 'csat' THEN 100.0 * (
            (satisfied / CAST(answers AS DOUBLE) + 3.841458820694124 / (2 * answers))
            - 1.959963984540054 * sqrt(
                (satisfied / CAST(answers AS DOUBLE)) * (1 - satisfied / CAST(answers AS DOUBLE)) / answers
                + 3.841458820694124 / (4.0 * answers * answers))
        ) / (1 + 3.841458820694124 / answers) END AS kpi_low,
        CASE WHEN kind = 'csat' THEN 100.0 * (
            (satisfied / CAST(answers AS DOUBLE) + 3.841458820694124 / (2 * answers))
            + 1.959963984540054 * sqrt(
                (satisfied / CAST(answers AS DOUBLE)) * (1 - satisfied / CAST(answers AS DOUBLE)) / answers
                + 3.841458820694124 / (4.0 * answers * answers))
        ) / (1 + 3.841458820694124 / answers) END AS kpi_high
    FROM kpis
)
SELECT
    s.month,
    s.kind,
    s.answers,
    df_round(s.kpi, 2) AS kpi,
    df_round(s.kpi_low, 2) AS kpi_low,
    df_round(s.kpi_high, 2) AS kpi_high,
    df_round(p.kpi, 2) AS previous,
    df_round(s.kpi - p.kpi, 2) AS change,
    CASE WHEN s.kind = 'csat' AND p.kpi IS NOT NULL
        THEN s.kpi_low > p.kpi_high OR s.kpi_high < p.kpi_low END AS change_significant,
    s.low_score_answers,
    CAST(NULL AS VARCHAR) AS rising_terms
FROM scored s
CROSS JOIN bounds b
LEFT JOIN scored p ON p.kind = s.kind AND p.month = s.month - INTERVAL '1 month'
WHERE s.month >= b.first_month
ORDER BY s.month, s.kind
