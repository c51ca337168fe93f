-- @report agent
-- @description Each agent's productivity and quality in a period, one row per agent.
-- @warns unmatched_answers
-- @param start timestamp latest_full_month_start | First instant of the period, inclusive (--from; default: the first day of the latest full month in the data).
-- @param end timestamp latest_full_month_end | End of the period, exclusive (--to; default: the end of that month).
-- @column agent_id - | The agent (one row per agent who handled a contact created in the period).
-- @column team - | The team of the agent's latest contact in the period.
-- @column handled count | Contacts the agent handled.
-- @column handled_per_logged_in_hour per hour | Handled contacts / the agent's logged-in hours in the period.
-- @column solved_per_logged_in_hour per hour | Contacts that resolved their ticket / logged-in hours.
-- @column aht_seconds seconds | Average handle time.
-- @column fcr_pct percent | First contact resolution of the agent's handled first contacts.
-- @column csat_pct percent | CSAT of answers submitted in the period about the agent's contacts.
-- @column csat_answers count | Number of those CSAT answers.
-- @column escalation_rate_pct percent | Contacts escalated / handled contacts.
-- @column occupancy_pct percent | Handling / (handling + available) time of the agent.
-- @column utilization_pct percent | Handling / all logged-in time of the agent.
-- @chart hbars x=agent_id y=handled | Contacts handled per agent
-- @chart hbars x=agent_id y=aht_seconds | Average handle time per agent
-- @chart hbars x=agent_id y=fcr_pct | First contact resolution per agent
-- @chart hbars x=agent_id y=csat_pct | CSAT per agent
-- @chart hbars x=agent_id y=occupancy_pct | Occupancy per agent
WITH contacts AS (
    SELECT * FROM interactions
    -- Handled contacts (DESIGN §2): an agent took them and they were not abandoned.
    WHERE created_at >= $start AND created_at < $end AND agent_id IS NOT NULL AND NOT abandoned
),
work AS (
    SELECT
        agent_id,
        first_value(team ORDER BY created_at DESC) AS team,
        count(*) AS handled,
        count(*) FILTER (WHERE resolved) AS solved,
        avg(handle_seconds) AS aht_seconds,
        fcr(contact_seq, resolved) AS fcr_pct,
        escalation_rate(escalated) AS escalation_rate_pct
    FROM contacts
    GROUP BY agent_id
),
answers AS (
    SELECT
        i.agent_id,
        csat(s.score) FILTER (WHERE s.kind = 'csat') AS csat_pct,
        count(*) FILTER (WHERE s.kind = 'csat') AS csat_answers
    FROM surveys s
    JOIN interactions i ON i.interaction_id = s.interaction_id
    -- Only the kind used above: the join holds less (issue 11).
    WHERE s.kind = 'csat' AND s.submitted_at >= $start AND s.submitted_at < $end AND i.agent_id IS NOT NULL
    GROUP BY i.agent_id
),
time AS (
    SELECT
        agent_id,
        occupancy(state, seconds) AS occupancy_pct,
        utilization(state, seconds) AS utilization_pct,
        sum(seconds) / 3600.0 AS logged_in_hours
    FROM (
        -- Each span's seconds inside the period: a span that crosses $start
        -- or $end (a shift over midnight at a month's end) counts its part
        -- in each period, not wholly in the one it started in.
        SELECT
            agent_id,
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
    GROUP BY agent_id
)
SELECT
    w.agent_id,
    w.team,
    w.handled,
    round(w.handled / nullif(t.logged_in_hours, 0), 2) AS handled_per_logged_in_hour,
    round(w.solved / nullif(t.logged_in_hours, 0), 2) AS solved_per_logged_in_hour,
    round(w.aht_seconds, 1) AS aht_seconds,
    round(w.fcr_pct, 2) AS fcr_pct,
    round(a.csat_pct, 2) AS csat_pct,
    coalesce(a.csat_answers, 0) AS csat_answers,
    round(w.escalation_rate_pct, 2) AS escalation_rate_pct,
    round(t.occupancy_pct, 2) AS occupancy_pct,
    round(t.utilization_pct, 2) AS utilization_pct
FROM work w
LEFT JOIN answers a ON a.agent_id = w.agent_id
LEFT JOIN time t ON t.agent_id = w.agent_id
ORDER BY w.team NULLS LAST, w.agent_id
