-- @view tickets
-- @description One row per ticket, from its contacts in `interactions`.
-- @column ticket_id - | The ticket.
-- @column customer_id - | Customer of the first contact.
-- @column team - | Team of the first contact.
-- @column channel - | Channel of the first contact.
-- @column priority - | Priority of the first contact (NULL when it has none).
-- @column created_at timestamp | When the first contact was created.
-- @column first_response_at timestamp | The earliest first response of any contact; NULL if none.
-- @column resolved_at timestamp | The latest resolution; NULL if never resolved.
-- @column contacts count | Contacts of the ticket.
-- @column escalated boolean | Any contact was escalated.
-- @column first_contact_resolved boolean | The first contact (contact_seq = 1) resolved the ticket.
-- @column ticket_created_at timestamp | The lake's `ticket_created_at` of the ticket (NULL where the lake does not carry it).
-- "First contact" is the one with the lowest contact_seq (then the earliest).
-- The view covers all history. A report about a period restricts it to the
-- period's tickets in the query itself, so every planner keeps it (DESIGN
-- §3): `ticket_created_at` is a grouping key, so a condition on it is
-- applied to the contacts below the grouping, a static range Parquet
-- statistics prune on; on lakes that do not carry it, `ticket_id IN
-- (SELECT ticket_id FROM interactions WHERE created_at in the period)` (a
-- ticket whose first contact is in the period has a contact in it).
SELECT
    ticket_id,
    first_value(customer_id ORDER BY contact_seq, created_at) AS customer_id,
    first_value(team ORDER BY contact_seq, created_at) AS team,
    first_value(channel ORDER BY contact_seq, created_at) AS channel,
    first_value(priority ORDER BY contact_seq, created_at) AS priority,
    first_value(created_at ORDER BY contact_seq, created_at) AS created_at,
    min(first_response_at) AS first_response_at,
    max(resolved_at) AS resolved_at,
    count(*) AS contacts,
    bool_or(escalated) AS escalated,
    coalesce(bool_or(contact_seq = 1 AND resolved), false) AS first_contact_resolved,
    ticket_created_at
FROM interactions
GROUP BY ticket_id, ticket_created_at
