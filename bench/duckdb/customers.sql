-- DuckDB twin of queries/reports/customers.sql (kpiql report customers),
-- clause by clause. Parameters: $start, $end (TIMESTAMPTZ), $top,
-- $min_answers (BIGINT). Tables: views.sql.
-- KPI function as its DESIGN §2 formula (100.0 written as a DOUBLE, as
-- DataFusion types it; kpiql computes 100.0 * part / total in f64):
--   csat(score) = 100 * count(*) FILTER (score >= 4) / nullif(count(score), 0)
-- round(x, d) is df_round(x, d) (views.sql): DataFusion rounds a double
-- as (x * 10^d).round() / 10^d, DuckDB's round differs on exact halves.
WITH contacts AS (
    SELECT
        customer_id,
        count(*) AS interactions,
        count(*) FILTER (WHERE channel = 'chat') AS chat_interactions
    FROM interactions
    WHERE created_at >= $start AND created_at < $end
    GROUP BY customer_id
),
answers AS (
    SELECT
        customer_id,
        CAST(100.0 AS DOUBLE) * count(*) FILTER (WHERE kind = 'csat' AND score >= 4)
            / nullif(count(score) FILTER (WHERE kind = 'csat'), 0) AS csat_pct,
        count(*) FILTER (WHERE kind = 'csat') AS csat_answers
    FROM surveys
    WHERE submitted_at >= $start AND submitted_at < $end
    GROUP BY customer_id
),
customers AS (
    SELECT
        coalesce(c.customer_id, a.customer_id) AS customer_id,
        coalesce(c.interactions, 0) AS interactions,
        coalesce(c.chat_interactions, 0) AS chat_interactions,
        a.csat_pct,
        coalesce(a.csat_answers, 0) AS csat_answers
    FROM contacts c
    FULL JOIN answers a ON a.customer_id = c.customer_id
),
ranked AS (
    SELECT
        *,
        CASE WHEN chat_interactions > 0
             THEN rank() OVER (ORDER BY chat_interactions DESC) END AS chat_rank,
        CASE WHEN csat_answers >= $min_answers AND csat_pct IS NOT NULL
             THEN rank() OVER (ORDER BY CASE WHEN csat_answers >= $min_answers THEN csat_pct END ASC NULLS LAST) END AS low_rank,
        CASE WHEN csat_answers >= $min_answers AND csat_pct IS NOT NULL
             THEN rank() OVER (ORDER BY CASE WHEN csat_answers >= $min_answers THEN csat_pct END DESC NULLS LAST) END AS high_rank
    FROM customers
)
SELECT
    customer_id,
    interactions,
    chat_interactions,
    df_round(csat_pct, 2) AS csat_pct,
    csat_answers,
    CASE WHEN chat_rank <= $top THEN chat_rank END AS rank_most_chat,
    CASE WHEN low_rank <= $top THEN low_rank END AS rank_lowest_csat,
    CASE WHEN high_rank <= $top THEN high_rank END AS rank_highest_csat
FROM ranked
WHERE chat_rank <= $top OR low_rank <= $top OR high_rank <= $top
ORDER BY rank_most_chat NULLS LAST, rank_lowest_csat NULLS LAST, rank_highest_csat NULLS LAST, customer_id
