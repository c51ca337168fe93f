-- Contract checks for `agent_states` (DESIGN §1), run by `kpiql validate`.
-- One row per offending row: problem (what is wrong), detail (the row).
SELECT 'required column is NULL' AS problem,
       concat('agent_id=', coalesce(agent_id, 'NULL'), ' started_at=', coalesce(CAST(started_at AS VARCHAR), 'NULL'), ' nulls in: ',
              concat_ws(',',
                CASE WHEN agent_id IS NULL THEN 'agent_id' END,
                CASE WHEN state IS NULL THEN 'state' END,
                CASE WHEN started_at IS NULL THEN 'started_at' END,
                CASE WHEN seconds IS NULL THEN 'seconds' END)) AS detail
FROM agent_states
WHERE agent_id IS NULL OR state IS NULL OR started_at IS NULL OR seconds IS NULL
UNION ALL
SELECT 'negative seconds', concat('agent_id=', agent_id, ' started_at=', started_at, ' seconds=', seconds)
FROM agent_states WHERE seconds < 0
UNION ALL
SELECT 'state is not handling, available, break, lunch, meeting, training or other',
       concat('agent_id=', agent_id, ' started_at=', started_at, ' state=', state)
FROM agent_states
WHERE state NOT IN ('handling', 'available', 'break', 'lunch', 'meeting', 'training', 'other')
