-- @report knowledge_base
-- @description Self-service in the knowledge base, per article category (or per article): views, helpful votes, read time, and sessions that deflected a ticket.
-- @needs kb_views
-- @param start timestamp latest_full_month_start | First instant of the period, inclusive (--from; default: the first day of the latest full month in the data).
-- @param end timestamp latest_full_month_end | End of the period, exclusive (--to; default: the end of that month).
-- @param deflection_hours float 24 | A session deflected a ticket when its customer opened no ticket within this many hours after its last view.
-- @param by_article bool false | true: one row per article (the top ones by views), its category beside it; false: one row per category.
-- @param top int 10 | With by_article, how many articles (by views, then article id).
-- @column category - | The article category (kb_articles; NULL for articles kb_articles does not list).
-- @column article_id - | The article (by_article); NULL per category.
-- @column title - | The article's title (by_article); NULL per category.
-- @column views count | Views in the period.
-- @column self_service_score ratio | These views / tickets opened in the period (first contacts created in it): the rows add up to the whole knowledge base's score. NULL when no ticket was opened.
-- @column helpful_pct percent | Helpful votes / votes, of those views.
-- @column avg_read_seconds seconds | Mean read time of those views that have one.
-- @column sessions count | Sessions by a known customer whose last view falls in the period and is of this category (article).
-- @column deflected count | Of those sessions, the ones whose customer opened no ticket (a first contact) within deflection_hours after the session's last view.
-- @column deflection_pct percent | deflected / sessions.
-- @chart hbars x=category y=views | Article views per category
-- @chart hbars x=category y=deflection_pct | Self-service sessions not followed by a contact
-- @chart hbars x=category y=helpful_pct | Views voted helpful
-- A session belongs to the category (article) of its last view; an
-- anonymous session (no customer_id) cannot be followed and is not
-- counted in sessions. A ticket opened after the period's end still
-- counts against a session near its end.
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
        100.0 * count(*) FILTER (WHERE v.helpful) / nullif(count(v.helpful), 0) AS helpful_pct,
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
        first_value(article_id ORDER BY viewed_at DESC, view_id DESC) AS article_id
    FROM kb_views
    -- Only sessions with a view in the period, all of their views: a
    -- session that ends in the period has its last view there. Grouping
    -- every session of the history held 17 GiB at 100 M contacts.
    WHERE session_id IN (
        SELECT session_id FROM kb_views WHERE viewed_at >= $start AND viewed_at < $end
    )
    GROUP BY session_id
),
ended AS (
    -- Each known session ending in the period.
    SELECT * FROM sessions
    WHERE customer_id IS NOT NULL AND last_view >= $start AND last_view < $end
),
opened_after AS (
    -- The tickets its customer opened within deflection_hours after it.
    -- (An inner join counted, then joined back on the key alone: a LEFT
    -- JOIN with these conditions fails under DataFusion 55's sort-merge
    -- join, which --memory-limit and a cluster plan, with "Column
    -- 'created_at' is declared as non-nullable but contains null values".)
    SELECT s.session_id, count(*) AS tickets_after
    FROM ended s
    JOIN interactions i
        ON i.customer_id = s.customer_id
        AND i.contact_seq = 1
        AND i.created_at > s.last_view
        AND date_part('epoch', i.created_at) <= date_part('epoch', s.last_view) + 3600.0 * $deflection_hours
    -- Every session ended in the period, so a ticket that follows one was
    -- opened after $start and by deflection_hours after $end: a static
    -- range, written out as constants, that prunes the contacts' files in
    -- every mode (the join's keys, customers, do not; DESIGN §3). A
    -- second of slack for the epoch arithmetic above, which is in floats;
    -- the microseconds clamped to what a timestamp holds (a huge
    -- deflection_hours keeps every later ticket).
    WHERE i.created_at > $start
        AND i.created_at <= arrow_cast(
            CAST(least(greatest(
                date_part('epoch', $end) * 1000000 + 3600000000.0 * $deflection_hours,
                -9.2e18), 9.2e18) AS BIGINT) + 1000000,
            'Timestamp(Microsecond, Some("UTC"))')
    GROUP BY s.session_id
),
followed AS (
    SELECT s.session_id, s.article_id, coalesce(o.tickets_after, 0) AS tickets_after
    FROM ended s
    LEFT JOIN opened_after o ON o.session_id = s.session_id
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
    round(r.views / CAST(nullif(t.n, 0) AS DOUBLE), 4) AS self_service_score,
    round(r.helpful_pct, 2) AS helpful_pct,
    round(r.avg_read_seconds, 1) AS avg_read_seconds,
    coalesce(r.sessions, 0) AS sessions,
    coalesce(r.deflected, 0) AS deflected,
    round(100.0 * r.deflected / nullif(r.sessions, 0), 2) AS deflection_pct
FROM rows r
CROSS JOIN tickets_opened t
WHERE NOT $by_article OR r.rank <= $top
ORDER BY r.views DESC, r.article_id, r.category
