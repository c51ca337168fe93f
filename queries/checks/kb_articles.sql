-- Contract checks for `kb_articles` (DESIGN §1), run by `kpiql validate`.
-- One row per offending row: problem (what is wrong), detail (the row).
SELECT 'required column is NULL' AS problem, 'article_id=NULL' AS detail
FROM kb_articles WHERE article_id IS NULL
UNION ALL
SELECT 'duplicate article_id', concat('article_id=', article_id, ' appears ', count(*), ' times')
FROM kb_articles WHERE article_id IS NOT NULL GROUP BY article_id HAVING count(*) > 1
