-- @report channels
-- @description How each channel performs in a period: volume, speed, resolution and quality.
-- @warns unmatched_answers
-- @param start timestamp latest_full_month_start | First instant of the period, inclusive (--from; default: the first day of the latest full month in the data).
-- @param end timestamp latest_full_month_end | End of the period, exclusive (--to; default: the end of that month).
-- @column channel - | The channel (one row per channel with a contact created in the period).
-- @column interactions count | Contacts created in the period.
-- @column share_pct percent | Of all contacts created in the period.
-- @column avg_first_response_seconds seconds | Average time from creation to first response, of contacts with a response.
-- @column avg_first_response_business_seconds seconds | The same in business time, of the contacts whose team has a calendar (`teams`); NULL when none has.
-- @column median_resolution_hours hours | Median time from a ticket's first contact to its resolution, for tickets opened on the channel in the period and resolved.
-- @column p90_resolution_hours hours | 90th percentile of that time (linear interpolation).
-- @column median_resolution_business_hours hours | Median resolution time in business hours, of the resolved tickets whose team (of the first contact) has a calendar; NULL when none has.
-- @column p90_resolution_business_hours hours | 90th percentile of that business time.
-- @column fcr_pct percent | First contact resolution of the channel's handled first contacts (abandoned ones are abandonment, not unresolved).
-- @column csat_pct percent | CSAT of answers submitted in the period about the channel's contacts.
-- @column escalation_rate_pct percent | Handled contacts escalated / handled contacts.
-- @chart hbars x=channel y=share_pct | Share of contacts per channel
-- @chart bars x=channel y=median_resolution_business_hours,p90_resolution_business_hours | Resolution time in business hours: median and 90th percentile
-- @chart bars x=channel y=median_resolution_hours,p90_resolution_hours | Resolution time on the clock: median and 90th percentile
-- @chart hbars x=channel y=csat_pct | CSAT per channel
WITH contacts AS (
    -- With the calendar of the contact's team (NULL: none, calendar time).
    SELECT i.*, c.calendar_id
    FROM interactions i
    LEFT JOIN team_calendars c ON c.team = i.team
    WHERE i.created_at >= $start AND i.created_at < $end
),
work AS (
    SELECT
        channel,
        count(*) AS interactions,
        avg(date_part('epoch', first_response_at) - date_part('epoch', created_at)) AS avg_first_response_seconds,
        avg(business_seconds(created_at, first_response_at, calendar_id)) AS avg_first_response_business_seconds,
        fcr(contact_seq, resolved) FILTER (WHERE agent_id IS NOT NULL AND NOT abandoned) AS fcr_pct,
        escalation_rate(escalated) FILTER (WHERE agent_id IS NOT NULL AND NOT abandoned) AS escalation_rate_pct
    FROM contacts
    GROUP BY channel
),
resolution AS (
    SELECT
        channel,
        median(hours) AS median_hours,
        percentile_cont(0.9) WITHIN GROUP (ORDER BY hours) AS p90_hours,
        median(business_hours) AS median_business_hours,
        percentile_cont(0.9) WITHIN GROUP (ORDER BY business_hours) AS p90_business_hours
    FROM (
        SELECT
            k.channel,
            (date_part('epoch', k.resolved_at) - date_part('epoch', k.created_at)) / 3600.0 AS hours,
            business_seconds(k.created_at, k.resolved_at, c.calendar_id) / 3600.0 AS business_hours
        FROM tickets k
        LEFT JOIN team_calendars c ON c.team = k.team
        WHERE k.created_at >= $start AND k.created_at < $end AND k.resolved_at IS NOT NULL
            -- only the period's tickets, below the grouping (see the view)
            AND (k.ticket_created_at IS NULL
                OR (k.ticket_created_at >= $start AND k.ticket_created_at < $end))
            AND k.ticket_id IN (
                SELECT ticket_id FROM interactions WHERE created_at >= $start AND created_at < $end
            )
    ) AS resolved_tickets
    GROUP BY channel
),
answers AS (
    SELECT i.channel, csat(s.score) FILTER (WHERE s.kind = 'csat') AS csat_pct
    FROM surveys s
    JOIN interactions i ON i.interaction_id = s.interaction_id
    -- Only the kind used above: the join holds less (issue 11).
    WHERE s.kind = 'csat' AND s.submitted_at >= $start AND s.submitted_at < $end
    GROUP BY i.channel
)
SELECT
    w.channel,
    w.interactions,
    round(100.0 * w.interactions / sum(w.interactions) OVER (), 2) AS share_pct,
    round(w.avg_first_response_seconds, 1) AS avg_first_response_seconds,
    round(w.avg_first_response_business_seconds, 1) AS avg_first_response_business_seconds,
    round(r.median_hours, 2) AS median_resolution_hours,
    round(r.p90_hours, 2) AS p90_resolution_hours,
    round(r.median_business_hours, 2) AS median_resolution_business_hours,
    round(r.p90_business_hours, 2) AS p90_resolution_business_hours,
    round(w.fcr_pct, 2) AS fcr_pct,
    round(a.csat_pct, 2) AS csat_pct,
    round(w.escalation_rate_pct, 2) AS escalation_rate_pct
FROM work w
LEFT JOIN resolution r ON r.channel = w.channel
LEFT JOIN answers a ON a.channel = w.channel
ORDER BY w.interactions DESC, w.channel
