-- The zendesk source's own checks on what becomes `surveys`, run by
-- `kpiql validate --source zendesk`: a satisfaction score Zendesk does not
-- give (good, bad, offered, unoffered) is counted nowhere, so it is named.
SELECT 'satisfaction_score is not good, bad, offered or unoffered (not counted)' AS problem,
       concat('ticket_id=', CAST(ticket_id AS VARCHAR), ' updated=', CAST(updated AS VARCHAR), ' value=', coalesce(value, 'NULL')) AS detail
FROM ticket_field_history
WHERE field_name = 'satisfaction_score'
  AND (value IS NULL OR lower(value) NOT IN ('good', 'bad', 'offered', 'unoffered'))
