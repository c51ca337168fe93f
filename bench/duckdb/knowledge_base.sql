-- DuckDB twin of queries/reports/knowledge_base.sql (kpiql report
-- knowledge_base), clause by clause. Parameters: $start, $end
-- (TIMESTAMPTZ), $deflection_hours (DOUBLE), $by_article (BOOLEAN), $top
-- (BIGINT). Tables: views.sql. DataFusion's ordered aggregate
-- first_value(x ORDER BY ...) is DuckDB's first(x ORDER BY ...); round(x,
-- d) is df_round(x, d).
WITH tickets_opened AS (
    SELECT count(*) AS n
    FROM interactions
    WHERE contact_seq = 1 AND created_at >= $start AND created_at < $end
),
views AS (
    SELECT
        a.category,
        CASE WHEN $by_article THEN v.article_id END AS article_id,
        CASE WHEN $by_article THEN a.title END AS title,
        count(*) AS views,
        CAST(100.0 AS DOUBLE) * count(*) FILTER (WHERE v.helpful) / nullif(count(v.helpful), 0) AS helpful_pct,
        avg(v.read_seconds) AS avg_read_seconds
    FROM kb_views v
    LEFT JOIN kb_articles a ON a.article_id = v.article_id
    WHERE v.viewed_at >= $start AND v.viewed_at < $end
    GROUP BY 1, 2, 3
),
sessions AS (
    SELECT
        session_id,
        max(customer_id) AS customer_id,
        max(viewed_at) AS last_view,
        first(article_id ORDER BY viewed_at DESC, view_id DESC) AS article_id
    FROM kb_views
    GROUP BY session_id
),
followed AS (
    -- Each known session ending in the period, with the tickets its
    -- customer opened within deflection_hours after it.
    SELECT
        s.session_id,
        s.article_id,
        count(i.interaction_id) AS tickets_after
    FROM sessions s
    LEFT JOIN interactions i
        ON i.customer_id = s.customer_id
        AND i.contact_seq = 1
        AND i.created_at > s.last_view
        AND date_part('epoch', i.created_at) <= date_part('epoch', s.last_view) + 3600.0 * $deflection_hours
    WHERE s.customer_id IS NOT NULL AND s.last_view >= $start AND s.last_view < $end
    GROUP BY s.session_id, s.article_id
),
deflection AS (
    SELECT
        a.category,
        CASE WHEN $by_article THEN f.article_id END AS article_id,
        count(*) AS sessions,
        count(*) FILTER (WHERE f.tickets_after = 0) AS deflected
    FROM followed f
    LEFT JOIN kb_articles a ON a.article_id = f.article_id
    GROUP BY 1, 2
),
rows AS (
    SELECT
        v.*,
        d.sessions,
        d.deflected,
        row_number() OVER (ORDER BY v.views DESC, v.article_id, v.category) AS rank
    FROM views v
    -- NULL-safe: articles kb_articles does not list have no category.
    LEFT JOIN deflection d
        ON (d.category IS NOT DISTINCT FROM v.category)
        AND (d.article_id IS NOT DISTINCT FROM v.article_id)
)
SELECT
    r.category,
    r.article_id,
    r.title,
    r.views,
    df_round(r.views / CAST(nullif(t.n, 0) AS DOUBLE), 4) AS self_service_score,
    df_round(r.helpful_pct, 2) AS helpful_pct,
    df_round(r.avg_read_seconds, 1) AS avg_read_seconds,
    coalesce(r.sessions, 0) AS sessions,
    coalesce(r.deflected, 0) AS deflected,
    df_round(CAST(100.0 AS DOUBLE) * r.deflected / nullif(r.sessions, 0), 2) AS deflection_pct
FROM rows r
CROSS JOIN tickets_opened t
WHERE NOT $by_article OR r.rank <= $top
ORDER BY r.views DESC, r.article_id, r.category
