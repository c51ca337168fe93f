-- @report team
-- @description The team lead's view of a period: volume, speed, quality and productivity, one row per team.
-- @warns unmatched_answers
-- @param start timestamp latest_full_month_start | First instant of the period, inclusive (--from; default: the first day of the latest full month in the data).
-- @param end timestamp latest_full_month_end | End of the period, exclusive (--to; default: the end of that month).
-- @column team - | The team that owned the contacts (one row per team with a contact created in the period).
-- @column interactions count | Contacts created in the period.
-- @column tickets count | Distinct tickets of those contacts.
-- @column aht_seconds seconds | Average handle time of handled contacts.
-- @column avg_first_response_seconds seconds | Average time from creation to first response, of contacts with a response.
-- @column avg_first_response_business_seconds seconds | The same in business time of the team's calendar (`teams`); NULL when the team has none.
-- @column longest_wait_seconds seconds | Longest time in queue.
-- @column avg_hold_seconds seconds | Average hold time, of contacts where hold is recorded.
-- @column occupancy_pct percent | Handling / (handling + available) time of the team's agent states in the period.
-- @column utilization_pct percent | Handling / all logged-in time of the team's agent states in the period.
-- @column csat_pct percent | CSAT: answers 4-5 / answers, for CSAT answers submitted in the period about the team's contacts.
-- @column csat_mean_score score | Mean CSAT score (1-5) of those answers.
-- @column csat_answers count | Number of those CSAT answers.
-- @column nps points | NPS of transactional NPS answers submitted in the period about the team's contacts (-100..100).
-- @column fcr_pct percent | First contact resolution of the period's handled first contacts (abandoned ones are abandonment, not unresolved).
-- @column escalation_rate_pct percent | Handled contacts escalated / handled contacts.
-- @column abandonment_rate_pct percent | Contacts abandoned / contacts.
-- @column repeat_contact_rate_pct percent | Contacts with contact_seq > 1 / contacts.
-- @column handled_per_logged_in_hour per hour | Handled contacts (an agent took them) / logged-in hours of the team's agents.
-- @column solved_per_logged_in_hour per hour | Contacts that resolved their ticket / logged-in hours.
-- @chart hbars x=team y=csat_pct | CSAT per team
-- @chart hbars x=team y=fcr_pct | First contact resolution per team
-- @chart hbars x=team y=nps | NPS per team
-- @chart hbars x=team y=aht_seconds | Average handle time per team
-- @chart hbars x=team y=avg_first_response_business_seconds | First response in business time per team
-- @chart hbars x=team y=occupancy_pct | Occupancy per team
-- @chart hbars x=team y=escalation_rate_pct | Escalation rate per team
-- @chart hbars x=team y=abandonment_rate_pct | Abandonment rate per team
-- Rates are rounded to 2 decimals, seconds to 1. Relationship surveys (no rated
-- contact) belong to no team and are left out here.
WITH contacts AS (
    -- With the calendar of the contact's team (NULL: none, calendar time).
    SELECT i.*, c.calendar_id
    FROM interactions i
    LEFT JOIN team_calendars c ON c.team = i.team
    WHERE i.created_at >= $start AND i.created_at < $end
),
work AS (
    SELECT
        team,
        count(*) AS interactions,
        avg(handle_seconds) AS aht_seconds,
        avg(date_part('epoch', first_response_at) - date_part('epoch', created_at)) AS avg_first_response_seconds,
        avg(business_seconds(created_at, first_response_at, calendar_id)) AS avg_first_response_business_seconds,
        max(wait_seconds) AS longest_wait_seconds,
        avg(hold_seconds) AS avg_hold_seconds,
        fcr(contact_seq, resolved) FILTER (WHERE agent_id IS NOT NULL AND NOT abandoned) AS fcr_pct,
        escalation_rate(escalated) FILTER (WHERE agent_id IS NOT NULL AND NOT abandoned) AS escalation_rate_pct,
        abandonment_rate(abandoned) AS abandonment_rate_pct,
        100.0 * count(*) FILTER (WHERE contact_seq > 1) / count(*) AS repeat_contact_rate_pct,
        count(*) FILTER (WHERE agent_id IS NOT NULL AND NOT abandoned) AS handled,
        count(*) FILTER (WHERE resolved AND agent_id IS NOT NULL AND NOT abandoned) AS solved
    FROM contacts
    GROUP BY team
),
-- Tickets counted by a grouping of their own rather than count(DISTINCT):
-- a grouping spills to disk under --memory-limit, a distinct set per team
-- cannot (issue 11: at 100M rows it exhausted a 4 GB pool).
tickets AS (
    SELECT team, count(*) AS tickets
    FROM (SELECT DISTINCT team, ticket_id FROM contacts) AS team_tickets
    GROUP BY team
),
answers AS (
    SELECT
        i.team,
        csat(s.score) FILTER (WHERE s.kind = 'csat') AS csat_pct,
        avg(s.score) FILTER (WHERE s.kind = 'csat') AS csat_mean_score,
        count(*) FILTER (WHERE s.kind = 'csat') AS csat_answers,
        nps(s.score) FILTER (WHERE s.kind = 'nps') AS nps
    FROM surveys s
    JOIN interactions i ON i.interaction_id = s.interaction_id
    -- Only the kinds used above: the join holds less (issue 11).
    WHERE s.kind IN ('csat', 'nps') AND s.submitted_at >= $start AND s.submitted_at < $end
    GROUP BY i.team
),
time AS (
    SELECT
        team,
        occupancy(state, seconds) AS occupancy_pct,
        utilization(state, seconds) AS utilization_pct,
        sum(seconds) / 3600.0 AS logged_in_hours
    FROM (
        -- Each span's seconds inside the period: a span that crosses $start
        -- or $end (a shift over midnight at a month's end) counts its part
        -- in each period, not wholly in the one it started in.
        SELECT
            team,
            state,
            CASE
                WHEN started_at >= $start
                    AND date_part('epoch', started_at) + seconds <= date_part('epoch', $end)
                    THEN seconds
                ELSE least(date_part('epoch', started_at) + seconds, date_part('epoch', $end))
                    - greatest(date_part('epoch', started_at), date_part('epoch', $start))
            END AS seconds
        FROM agent_states
        WHERE started_at < $end
            AND (started_at >= $start
                OR date_part('epoch', started_at) + seconds > date_part('epoch', $start))
    ) AS spans
    GROUP BY team
)
SELECT
    w.team,
    w.interactions,
    k.tickets,
    round(w.aht_seconds, 1) AS aht_seconds,
    round(w.avg_first_response_seconds, 1) AS avg_first_response_seconds,
    round(w.avg_first_response_business_seconds, 1) AS avg_first_response_business_seconds,
    round(w.longest_wait_seconds, 1) AS longest_wait_seconds,
    round(w.avg_hold_seconds, 1) AS avg_hold_seconds,
    round(t.occupancy_pct, 2) AS occupancy_pct,
    round(t.utilization_pct, 2) AS utilization_pct,
    round(a.csat_pct, 2) AS csat_pct,
    round(a.csat_mean_score, 2) AS csat_mean_score,
    coalesce(a.csat_answers, 0) AS csat_answers,
    round(a.nps, 2) AS nps,
    round(w.fcr_pct, 2) AS fcr_pct,
    round(w.escalation_rate_pct, 2) AS escalation_rate_pct,
    round(w.abandonment_rate_pct, 2) AS abandonment_rate_pct,
    round(w.repeat_contact_rate_pct, 2) AS repeat_contact_rate_pct,
    round(w.handled / nullif(t.logged_in_hours, 0), 2) AS handled_per_logged_in_hour,
    round(w.solved / nullif(t.logged_in_hours, 0), 2) AS solved_per_logged_in_hour
FROM work w
-- NULL-safe: the row of contacts without a team gets its answers and time too.
JOIN tickets k ON k.team IS NOT DISTINCT FROM w.team
LEFT JOIN answers a ON a.team IS NOT DISTINCT FROM w.team
LEFT JOIN time t ON t.team IS NOT DISTINCT FROM w.team
ORDER BY w.team NULLS LAST
