-- Contract checks for `agent_surveys` (DESIGN §1), run by `kpiql validate`.
-- One row per offending row: problem (what is wrong), detail (the row).
SELECT 'required column is NULL' AS problem,
       concat('survey_id=', coalesce(survey_id, 'NULL'), ' nulls in: ',
              concat_ws(',',
                CASE WHEN survey_id IS NULL THEN 'survey_id' END,
                CASE WHEN agent_id IS NULL THEN 'agent_id' END,
                CASE WHEN kind IS NULL THEN 'kind' END,
                CASE WHEN score IS NULL THEN 'score' END,
                CASE WHEN submitted_at IS NULL THEN 'submitted_at' END)) AS detail
FROM agent_surveys
WHERE survey_id IS NULL OR agent_id IS NULL OR kind IS NULL OR score IS NULL
   OR submitted_at IS NULL
UNION ALL
SELECT 'kind is not esat or enps', concat('survey_id=', survey_id, ' kind=', kind)
FROM agent_surveys WHERE kind NOT IN ('esat', 'enps')
UNION ALL
SELECT 'score out of its domain (esat 1-5, enps 0-10)',
       concat('survey_id=', survey_id, ' kind=', kind, ' score=', score)
FROM agent_surveys
WHERE (kind = 'esat' AND (score < 1 OR score > 5))
   OR (kind = 'enps' AND (score < 0 OR score > 10))
UNION ALL
SELECT 'duplicate survey_id', concat('survey_id=', survey_id, ' appears ', count(*), ' times')
FROM agent_surveys WHERE survey_id IS NOT NULL GROUP BY survey_id HAVING count(*) > 1
