-- The zendesk source's own checks on what becomes `interactions`, run by
-- `kpiql validate --source zendesk` (a name starting `note: ` is said, not a
-- problem).
SELECT 'note: via_channel not mapped to a kpiql channel, kept as it is' AS problem,
       concat('via_channel=', t.via_channel, ' on ', CAST(count(*) AS VARCHAR), ' tickets') AS detail
FROM ticket t
LEFT JOIN zendesk_channels c ON c.via_channel = t.via_channel
WHERE t.via_channel IS NOT NULL AND c.channel IS NULL
GROUP BY t.via_channel
UNION ALL
SELECT 'ticket status is not new, open, pending, hold, solved, closed or deleted',
       concat('ticket_id=', CAST(id AS VARCHAR), ' status=', coalesce(status, 'NULL'))
FROM ticket
WHERE status IS NULL OR status NOT IN ('new', 'open', 'pending', 'hold', 'solved', 'closed', 'deleted')
