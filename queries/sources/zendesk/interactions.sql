-- Zendesk tickets as contacts (DESIGN §1 "The zendesk source"): a ticket
-- is its first contact, and each reopen the next one. Agent and team are
-- the ticket's current assignee and group (a contact has one of each in
-- the contract; the group that holds the ticket now answers for it).
-- Zendesk does not record queue, hold or handle time: those are NULL.
SELECT
  CAST(c.ticket_id AS VARCHAR) || '-' || CAST(c.contact_seq AS VARCHAR) AS interaction_id,
  CAST(c.ticket_id AS VARCHAR) AS ticket_id,
  c.contact_seq,
  coalesce(CAST(c.requester_id AS VARCHAR), 'unknown') AS customer_id,
  CAST(c.assignee_id AS VARCHAR) AS agent_id,
  g.name AS team,
  coalesce(ch.channel, c.via_channel, 'unknown') AS channel,
  lower(c.priority) AS priority,
  c.started_at AS created_at,
  c.first_response_at,
  c.ended_at,
  CASE WHEN c.resolved THEN c.ended_at END AS resolved_at,
  c.resolved,
  c.escalated,
  false AS abandoned,
  c.ticket_created_at
FROM zendesk_contacts c
LEFT JOIN "group" g ON g.id = c.group_id AND NOT coalesce(g._fivetran_deleted, false)
LEFT JOIN zendesk_channels ch ON ch.via_channel = c.via_channel
