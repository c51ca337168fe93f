-- Contract checks for `interactions` (DESIGN §1), run by `kpiql validate`.
-- One row per offending row: problem (what is wrong), detail (the row).
SELECT 'required column is NULL' AS problem,
       concat('interaction_id=', coalesce(interaction_id, 'NULL'), ' nulls in: ',
              concat_ws(',',
                CASE WHEN interaction_id IS NULL THEN 'interaction_id' END,
                CASE WHEN ticket_id IS NULL THEN 'ticket_id' END,
                CASE WHEN contact_seq IS NULL THEN 'contact_seq' END,
                CASE WHEN customer_id IS NULL THEN 'customer_id' END,
                CASE WHEN channel IS NULL THEN 'channel' END,
                CASE WHEN created_at IS NULL THEN 'created_at' END,
                CASE WHEN resolved IS NULL THEN 'resolved' END,
                CASE WHEN escalated IS NULL THEN 'escalated' END,
                CASE WHEN abandoned IS NULL THEN 'abandoned' END)) AS detail
FROM interactions
WHERE interaction_id IS NULL OR ticket_id IS NULL OR contact_seq IS NULL
   OR customer_id IS NULL OR channel IS NULL OR created_at IS NULL
   OR resolved IS NULL OR escalated IS NULL OR abandoned IS NULL
UNION ALL
SELECT 'contact_seq < 1', concat('interaction_id=', interaction_id, ' contact_seq=', contact_seq)
FROM interactions WHERE contact_seq < 1
UNION ALL
SELECT 'negative wait_seconds', concat('interaction_id=', interaction_id, ' wait_seconds=', wait_seconds)
FROM interactions WHERE wait_seconds < 0
UNION ALL
SELECT 'negative hold_seconds', concat('interaction_id=', interaction_id, ' hold_seconds=', hold_seconds)
FROM interactions WHERE hold_seconds < 0
UNION ALL
SELECT 'negative handle_seconds', concat('interaction_id=', interaction_id, ' handle_seconds=', handle_seconds)
FROM interactions WHERE handle_seconds < 0
UNION ALL
SELECT 'first_response_at before created_at',
       concat('interaction_id=', interaction_id, ' created_at=', created_at, ' first_response_at=', first_response_at)
FROM interactions WHERE first_response_at < created_at
UNION ALL
SELECT 'ended_at before created_at',
       concat('interaction_id=', interaction_id, ' created_at=', created_at, ' ended_at=', ended_at)
FROM interactions WHERE ended_at < created_at
UNION ALL
SELECT 'resolved_at before created_at',
       concat('interaction_id=', interaction_id, ' created_at=', created_at, ' resolved_at=', resolved_at)
FROM interactions WHERE resolved_at < created_at
UNION ALL
SELECT 'duplicate interaction_id', concat('interaction_id=', interaction_id, ' appears ', count(*), ' times')
FROM interactions WHERE interaction_id IS NOT NULL GROUP BY interaction_id HAVING count(*) > 1
UNION ALL
SELECT 'priority other than urgent, high, normal, low (sla measures it against the normal targets)',
       concat('interaction_id=', interaction_id, ' priority=', priority)
FROM interactions WHERE priority NOT IN ('urgent', 'high', 'normal', 'low')
UNION ALL
SELECT 'bot contact with an agent_id (a contact is handled by a bot or by a person, not both)',
       concat('interaction_id=', interaction_id, ' agent_id=', agent_id)
FROM interactions WHERE bot AND agent_id IS NOT NULL
UNION ALL
-- ticket_created_at, where the lake carries it, is what the ticket reports
-- restrict a period's tickets by (DESIGN §3): the same on every contact of
-- the ticket, and the created_at of its first contact.
SELECT 'ticket_created_at is not the created_at of the ticket''s first contact on every contact of the ticket',
       concat('ticket_id=', ticket_id, ' first contact created_at=', first_created,
              ' ticket_created_at from ', coalesce(cast(lowest AS VARCHAR), 'NULL'),
              ' to ', coalesce(cast(highest AS VARCHAR), 'NULL'),
              ', on ', given, ' of ', contacts, ' contacts')
FROM (
    SELECT ticket_id,
           first_value(created_at ORDER BY contact_seq, created_at) AS first_created,
           min(ticket_created_at) AS lowest,
           max(ticket_created_at) AS highest,
           count(ticket_created_at) AS given,
           count(*) AS contacts
    FROM interactions
    WHERE ticket_id IS NOT NULL
    GROUP BY ticket_id
) AS t
WHERE given > 0
  AND (given < contacts OR lowest <> highest OR lowest <> first_created)
