-- Contract checks for `surveys` (DESIGN §1), run by `kpiql validate`.
-- One row per offending row: problem (what is wrong), detail (the row).
SELECT 'required column is NULL' AS problem,
       concat('survey_id=', coalesce(survey_id, 'NULL'), ' nulls in: ',
              concat_ws(',',
                CASE WHEN survey_id IS NULL THEN 'survey_id' END,
                CASE WHEN customer_id IS NULL THEN 'customer_id' END,
                CASE WHEN kind IS NULL THEN 'kind' END,
                CASE WHEN score IS NULL THEN 'score' END,
                CASE WHEN submitted_at IS NULL THEN 'submitted_at' END)) AS detail
FROM surveys
WHERE survey_id IS NULL OR customer_id IS NULL OR kind IS NULL OR score IS NULL
   OR submitted_at IS NULL
UNION ALL
SELECT 'kind is not csat, nps or ces', concat('survey_id=', survey_id, ' kind=', kind)
FROM surveys WHERE kind NOT IN ('csat', 'nps', 'ces')
UNION ALL
SELECT 'score out of its domain (csat 1-5, nps 0-10, ces 1-7)',
       concat('survey_id=', survey_id, ' kind=', kind, ' score=', score)
FROM surveys
WHERE (kind = 'csat' AND (score < 1 OR score > 5))
   OR (kind = 'nps' AND (score < 0 OR score > 10))
   OR (kind = 'ces' AND (score < 1 OR score > 7))
UNION ALL
SELECT 'duplicate survey_id', concat('survey_id=', survey_id, ' appears ', count(*), ' times')
FROM surveys WHERE survey_id IS NOT NULL GROUP BY survey_id HAVING count(*) > 1
UNION ALL
SELECT 'interaction_id not found in interactions',
       concat('survey_id=', s.survey_id, ' interaction_id=', s.interaction_id)
FROM surveys s
WHERE s.interaction_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM interactions i WHERE i.interaction_id = s.interaction_id)
