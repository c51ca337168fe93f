-- Contract checks for `kb_views` (DESIGN §1), run by `kpiql validate`.
-- One row per offending row: problem (what is wrong), detail (the row).
SELECT 'required column is NULL' AS problem,
       concat('view_id=', coalesce(view_id, 'NULL'), ' nulls in: ',
              concat_ws(',',
                CASE WHEN view_id IS NULL THEN 'view_id' END,
                CASE WHEN article_id IS NULL THEN 'article_id' END,
                CASE WHEN session_id IS NULL THEN 'session_id' END,
                CASE WHEN viewed_at IS NULL THEN 'viewed_at' END)) AS detail
FROM kb_views
WHERE view_id IS NULL OR article_id IS NULL OR session_id IS NULL OR viewed_at IS NULL
UNION ALL
SELECT 'negative read_seconds', concat('view_id=', view_id, ' read_seconds=', read_seconds)
FROM kb_views WHERE read_seconds < 0
UNION ALL
SELECT 'duplicate view_id', concat('view_id=', view_id, ' appears ', count(*), ' times')
FROM kb_views WHERE view_id IS NOT NULL GROUP BY view_id HAVING count(*) > 1
UNION ALL
SELECT 'session with more than one customer',
       concat('session_id=', session_id, ' customers=', count(DISTINCT customer_id))
FROM kb_views WHERE session_id IS NOT NULL GROUP BY session_id HAVING count(DISTINCT customer_id) > 1
