-- @report feedback
-- @description Survey answers by month and kind: the KPI, its change from the month before with a 95% Wilson interval, and the terms rising in low-score comments.
-- @param start timestamp fiscal_year_start | First month shown (--from; the whole month it falls in; default: the start of the fiscal year of the latest full month in the data).
-- @param end timestamp latest_full_month_end | End of the period, exclusive (--to; default: the end of the latest full month in the data).
-- @param fiscal_year_start_month int 1 | The month (1-12) a fiscal year starts in (used for the default period).
-- @param top_terms int 3 | How many rising terms to list per month and kind.
-- @column month date | The month the answers were submitted in.
-- @column kind - | csat, nps or ces.
-- @column answers count | Answers of that kind in the month.
-- @column kpi per kind | csat: CSAT percent (answers 4-5 / answers); nps: NPS points; ces: mean CES score.
-- @column kpi_low percent | CSAT only: lower end of its 95% Wilson score interval (NULL for nps and ces, which are not a share).
-- @column kpi_high percent | CSAT only: upper end of that interval.
-- @column previous per kind | The KPI of the previous calendar month (NULL when it had no answers of the kind).
-- @column change per kind | kpi - previous.
-- @column change_significant boolean | CSAT only: the two months' 95% Wilson intervals do not overlap (a conservative test: true means the change is not noise).
-- @column low_score_answers count | Answers with a low score: csat 1-2, nps 0-6 (detractors), ces 1-3.
-- @column rising_terms - | Up to top_terms terms (comment_terms) of the low-score answers' comments whose count rose most from the previous month, as "term (+n)", most first, then alphabetically.
-- @chart lines x=month y=kpi facet=kind scale=free | Each survey's KPI per month (CSAT %, NPS points, CES mean score)
-- @chart bars x=month y=answers series=kind | Survey answers per month
-- Months are whole calendar months of the report time zone: from the month $start falls in, to
-- $end; the month before the first one is read too, for its change. The
-- Wilson interval for k satisfied of n, z = 1.959963984540054:
-- (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n), in percent.
-- The first month is written out where it is used, not a CTE joined in:
-- a constant expression folds to a literal that prunes the scan (a
-- CROSS JOIN of a bounds row left it a join filter over every answer of
-- the lake).
WITH answers AS (
    SELECT
        CAST(date_trunc('month', to_local(s.submitted_at, $time_zone)) AS DATE) AS month,
        s.kind,
        s.score,
        s.comment,
        CASE s.kind WHEN 'csat' THEN s.score <= 2 WHEN 'nps' THEN s.score <= 6 ELSE s.score <= 3 END AS low
    FROM surveys s
    WHERE s.kind IN ('csat', 'nps', 'ces')
        AND s.submitted_at >= from_local(CAST(date_trunc('month', to_local($start, $time_zone)) AS DATE) - INTERVAL '1 month', $time_zone)
        AND s.submitted_at < $end
),
kpis AS (
    SELECT
        month,
        kind,
        count(*) AS answers,
        coalesce(
            csat(score) FILTER (WHERE kind = 'csat'),
            nps(score) FILTER (WHERE kind = 'nps'),
            ces(score) FILTER (WHERE kind = 'ces')
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
),
-- Each month beside the previous month's figures (NULL when that month had
-- no answers of the kind): a window over the months, not a join of
-- scored with itself, which computed kpis twice.
compared AS (
    SELECT
        *,
        CASE WHEN lag(month) OVER w = month - INTERVAL '1 month' THEN lag(kpi) OVER w END AS previous_kpi,
        CASE WHEN lag(month) OVER w = month - INTERVAL '1 month' THEN lag(kpi_low) OVER w END AS previous_kpi_low,
        CASE WHEN lag(month) OVER w = month - INTERVAL '1 month' THEN lag(kpi_high) OVER w END AS previous_kpi_high
    FROM scored
    WINDOW w AS (PARTITION BY kind ORDER BY month)
),
low_terms AS (
    SELECT month, kind, term, count(*) AS n
    FROM (
        SELECT month, kind, unnest(comment_terms(comment)) AS term
        FROM answers
        WHERE low AND comment IS NOT NULL
    ) AS t
    GROUP BY month, kind, term
),
ranked AS (
    -- The rise over the previous month from a window over each term's
    -- months, not a join of low_terms with itself: DataFusion computes a
    -- CTE once per reference, and each computation splits every low
    -- comment into words again.
    SELECT month, kind, term, rise,
        row_number() OVER (PARTITION BY month, kind ORDER BY rise DESC, term) AS r
    FROM (
        SELECT
            month,
            kind,
            term,
            n - CASE WHEN lag(month) OVER w = month - INTERVAL '1 month'
                     THEN lag(n) OVER w ELSE 0 END AS rise
        FROM low_terms
        WINDOW w AS (PARTITION BY kind, term ORDER BY month)
    ) AS t
    WHERE rise > 0
),
rising AS (
    SELECT month, kind, string_agg(concat(term, ' (+', CAST(rise AS VARCHAR), ')'), ', ' ORDER BY r) AS rising_terms
    FROM ranked
    WHERE r <= $top_terms
    GROUP BY month, kind
)
SELECT
    s.month,
    s.kind,
    s.answers,
    round(s.kpi, 2) AS kpi,
    round(s.kpi_low, 2) AS kpi_low,
    round(s.kpi_high, 2) AS kpi_high,
    round(s.previous_kpi, 2) AS previous,
    round(s.kpi - s.previous_kpi, 2) AS change,
    CASE WHEN s.kind = 'csat' AND s.previous_kpi IS NOT NULL
        THEN s.kpi_low > s.previous_kpi_high OR s.kpi_high < s.previous_kpi_low END AS change_significant,
    s.low_score_answers,
    r.rising_terms
FROM compared s
LEFT JOIN rising r ON r.kind = s.kind AND r.month = s.month
WHERE s.month >= CAST(date_trunc('month', to_local($start, $time_zone)) AS DATE)
ORDER BY s.month, s.kind
