-- @report bots
-- @description Bot containment per channel and team: of the tickets a bot answered first, how many it resolved alone, how many went to a person, and the CSAT of each.
-- @param start timestamp latest_full_month_start | First instant of the period, inclusive (--from; default: the first day of the latest full month in the data).
-- @param end timestamp latest_full_month_end | End of the period, exclusive (--to; default: the end of that month).
-- @column channel - | Channel of the ticket's first contact.
-- @column team - | Team of the ticket's first contact (the topic queue the bot answered for).
-- @column bot_tickets count | Tickets whose first contact (contact_seq 1) was handled by a bot (`bot` true) and created in the period.
-- @column contained count | Of those, the tickets resolved with no contact handled by a person (a contact with an agent, not abandoned, not a bot), whenever.
-- @column containment_pct percent | contained / bot_tickets.
-- @column handed_off count | Of those, the tickets with a contact handled by a person.
-- @column handoff_pct percent | handed_off / bot_tickets.
-- @column left_unresolved count | Of those, the tickets neither resolved nor handed off: the customer left the bot.
-- @column left_unresolved_pct percent | left_unresolved / bot_tickets (the three shares add up to 100).
-- @column avg_bot_seconds seconds | Mean length of those tickets' bot contacts (created to ended), of those with an end.
-- @column csat_contained_pct percent | CSAT of the answers about contained tickets (surveys by ticket_id, kind csat, whenever submitted).
-- @column csat_contained_answers count | Number of those answers.
-- @column csat_handed_off_pct percent | CSAT of the answers about handed-off tickets.
-- @column csat_handed_off_answers count | Number of those answers.
-- @chart hbars x=team y=containment_pct facet=channel | Bot tickets contained, per channel and team
-- @chart bars x=team y=csat_contained_pct,csat_handed_off_pct facet=channel | CSAT of contained and handed-off bot tickets
-- A lake without the `bot` column reads it as NULL (a person): the report
-- then has no rows. A bot ticket's contacts carry its first contact's
-- time as `ticket_created_at`, before the period's end, so the joins skip
-- the later tickets' contacts whatever the planner (DESIGN §3). Not the
-- period's start: a lake that repeats contact_seq 1 may date a ticket
-- chosen by a contact in the period from an earlier one (bots_by_hand).
-- A score outside 1-5 is an error, as for csat().
WITH bot_first AS (
    -- One row per ticket even if a lake repeats contact_seq 1.
    SELECT ticket_id, min(channel) AS channel, min(team) AS team
    FROM interactions
    WHERE contact_seq = 1 AND bot AND created_at >= $start AND created_at < $end
    GROUP BY ticket_id
),
bot_contacts AS (
    SELECT
        b.channel,
        b.team,
        avg(date_part('epoch', i.ended_at) - date_part('epoch', i.created_at)) AS avg_bot_seconds
    FROM bot_first b
    JOIN interactions i ON i.ticket_id = b.ticket_id
    WHERE i.bot AND i.contact_seq = 1
        -- not the later tickets: a static range every planner keeps (§3)
        AND (i.ticket_created_at IS NULL OR i.ticket_created_at < $end)
    GROUP BY 1, 2
),
outcomes AS (
    SELECT
        b.ticket_id,
        b.channel,
        b.team,
        bool_or(i.resolved) AND NOT bool_or(i.bot IS NOT TRUE AND i.agent_id IS NOT NULL AND NOT i.abandoned) AS contained,
        bool_or(i.bot IS NOT TRUE AND i.agent_id IS NOT NULL AND NOT i.abandoned) AS handed_off
    FROM bot_first b
    JOIN interactions i ON i.ticket_id = b.ticket_id
    -- not the later tickets: a static range every planner keeps (§3)
    WHERE i.ticket_created_at IS NULL OR i.ticket_created_at < $end
    GROUP BY 1, 2, 3
),
counts AS (
    SELECT
        channel,
        team,
        count(*) AS bot_tickets,
        count(*) FILTER (WHERE contained) AS contained,
        count(*) FILTER (WHERE handed_off) AS handed_off,
        count(*) FILTER (WHERE NOT contained AND NOT handed_off) AS left_unresolved
    FROM outcomes
    GROUP BY 1, 2
),
answers AS (
    SELECT
        o.channel,
        o.team,
        csat(s.score) FILTER (WHERE o.contained) AS csat_contained_pct,
        count(*) FILTER (WHERE o.contained) AS csat_contained_answers,
        csat(s.score) FILTER (WHERE o.handed_off) AS csat_handed_off_pct,
        count(*) FILTER (WHERE o.handed_off) AS csat_handed_off_answers
    FROM outcomes o
    JOIN surveys s ON s.ticket_id = o.ticket_id
    WHERE s.kind = 'csat'
    GROUP BY 1, 2
)
SELECT
    c.channel,
    c.team,
    c.bot_tickets,
    c.contained,
    round(100.0 * c.contained / c.bot_tickets, 2) AS containment_pct,
    c.handed_off,
    round(100.0 * c.handed_off / c.bot_tickets, 2) AS handoff_pct,
    c.left_unresolved,
    round(100.0 * c.left_unresolved / c.bot_tickets, 2) AS left_unresolved_pct,
    round(t.avg_bot_seconds, 1) AS avg_bot_seconds,
    round(a.csat_contained_pct, 2) AS csat_contained_pct,
    coalesce(a.csat_contained_answers, 0) AS csat_contained_answers,
    round(a.csat_handed_off_pct, 2) AS csat_handed_off_pct,
    coalesce(a.csat_handed_off_answers, 0) AS csat_handed_off_answers
FROM counts c
-- NULL-safe: tickets without a team meet their figures too.
LEFT JOIN bot_contacts t ON t.channel = c.channel AND t.team IS NOT DISTINCT FROM c.team
LEFT JOIN answers a ON a.channel = c.channel AND a.team IS NOT DISTINCT FROM c.team
ORDER BY c.channel, c.team NULLS LAST
