-- @report staffing
-- @description Agents needed by Erlang C against agents logged in, per team, weekday and hour, over the last weeks.
-- @param end timestamp latest_full_month_end | End of the weeks measured, exclusive (--to; default: the end of the latest full month in the data).
-- @param weeks int 4 | How many weeks before $end to average over (1 or more).
-- @param service_level_pct float 80 | Target share of contacts answered within answer_seconds, percent.
-- @param answer_seconds float 20 | The service-level threshold, seconds.
-- @param max_occupancy_pct float 85 | Highest share of logged-in time agents may spend handling (Erlang C agents are raised until occupancy is at most this).
-- @param shrinkage_pct float 30 | Share of paid time agents are not available for contacts (breaks, meetings, training): agents scheduled = agents needed / (1 - shrinkage).
-- @param channels text phone,chat | Comma-separated channels whose contacts queue for an agent (Erlang C's model); other channels are left out.
-- @param hours_in report/team report | Whose clock weekdays and hours are read on: report, the report time zone (--time-zone) for every team; team, each team's own calendar's zone (teams -> business_hours.time_zone), the report zone for a team without a calendar.
-- @column team - | The team (NULL: contacts or agent time without a team).
-- @column weekday - | ISO day of week, 1 = Monday ... 7 = Sunday, in the report time zone (or the team's, hours_in=team).
-- @column hour - | Hour of the day, 0-23, in the report time zone (or the team's; a day the clocks skip an hour has no such hour, an hour they repeat counts both).
-- @column contacts_per_hour count | Contacts created in that hour, on those channels, averaged over the weeks.
-- @column aht_seconds seconds | Average handle time of those contacts that an agent handled.
-- @column agents_needed agents | Erlang C: the fewest agents on the phones to meet the service level at that load (and the occupancy cap).
-- @column agents_to_schedule agents | agents_needed / (1 - shrinkage), rounded up: the agents to have logged in.
-- @column agents_logged_in agents | Agents of the team logged in (any state) in that hour, averaged over the weeks (logged-in seconds / 3600 / weeks).
-- @column gap agents | agents_logged_in - agents_to_schedule: below 0 understaffed, above 0 overstaffed.
-- @column staffing - | under (gap < 0), over (gap >= 1: a whole agent or more to spare), else ok; NULL when agents_needed is unknown (no handled contact to take a handle time from).
-- @chart lines x=hour y=gap series=team facet=weekday | Agents logged in minus agents to schedule, per hour (below 0: under-staffed)
-- Hours are the report time zone's ($time_zone): a contact's hour is its
-- wall clock's hour there (to_local), numbered from the zone-less epoch, so
-- weekday and hour come from the hour's number. The weeks measured are the
-- $weeks * 7 days of the zone before $end (a DST week is a week). Agent
-- spans are split at multiples of zone_step_seconds (3600 s, or 900 s for
-- an offset like +05:45), each piece inside one hour of the zone, and each
-- piece's seconds count in its hour, clipped to the weeks measured. Every
-- (team, weekday, hour) with a contact or logged-in time in the weeks has
-- a row; contacts_per_hour 0 needs 0 agents. With hours_in=team each
-- team's contacts and spans are read on its calendar's zone instead (the
-- weeks measured stay the report zone's); with report, team_zones is empty
-- and the zone a constant.
WITH team_zones AS (
    SELECT tc.team, min(bh.time_zone) AS time_zone
    FROM team_calendars tc
    JOIN business_hours bh ON bh.calendar_id = tc.calendar_id
    WHERE $hours_in = 'team'
    GROUP BY tc.team
),
contacts AS (
    SELECT
        i.team,
        CAST(floor(date_part('epoch', to_local(i.created_at, coalesce(z.time_zone, $time_zone))) / 3600) AS BIGINT) AS h,
        i.handle_seconds,
        i.agent_id IS NOT NULL AND NOT i.abandoned AS handled
    FROM interactions i
    LEFT JOIN team_zones z ON z.team = i.team
    WHERE i.created_at >= from_local(arrow_cast(CAST((date_part('epoch', to_local($end, $time_zone)) - 604800.0 * $weeks) * 1000000 AS BIGINT), 'Timestamp(Microsecond, None)'), $time_zone)
        AND i.created_at < $end
        AND array_has(string_to_array($channels, ','), i.channel)
),
demand AS (
    SELECT
        team,
        CAST((h / 24 + 3) % 7 + 1 AS INT) AS weekday,
        CAST(h % 24 AS INT) AS hour,
        count(*) / CAST($weeks AS DOUBLE) AS contacts_per_hour,
        avg(handle_seconds) FILTER (WHERE handled) AS aht_seconds
    FROM contacts
    GROUP BY 1, 2, 3
),
spans AS (
    -- Each span clipped to the weeks measured, in epoch seconds. The weeks'
    -- start is written out, not joined from a one-row CTE, so that it is a
    -- constant: the filter then reaches the agent_states scan, where a
    -- cross-joined bounds row made a nested-loop join test every span of
    -- the lake (bench/README.md, staffing at 100 M).
    SELECT
        a.team,
        greatest(date_part('epoch', a.started_at), date_part('epoch', from_local(arrow_cast(CAST((date_part('epoch', to_local($end, $time_zone)) - 604800.0 * $weeks) * 1000000 AS BIGINT), 'Timestamp(Microsecond, None)'), $time_zone))) AS s,
        least(date_part('epoch', a.started_at) + a.seconds, date_part('epoch', $end)) AS e,
        coalesce(z.time_zone, $time_zone) AS zone,
        zone_step_seconds(coalesce(z.time_zone, $time_zone), from_local(arrow_cast(CAST((date_part('epoch', to_local($end, $time_zone)) - 604800.0 * $weeks) * 1000000 AS BIGINT), 'Timestamp(Microsecond, None)'), $time_zone), $end) AS step
    FROM agent_states a
    LEFT JOIN team_zones z ON z.team = a.team
    WHERE a.started_at < $end
        AND date_part('epoch', a.started_at) + a.seconds > date_part('epoch', from_local(arrow_cast(CAST((date_part('epoch', to_local($end, $time_zone)) - 604800.0 * $weeks) * 1000000 AS BIGINT), 'Timestamp(Microsecond, None)'), $time_zone))
),
hours AS (
    -- One row per span and step it covers, with the seconds inside it and
    -- the zone's hour the step is in.
    SELECT
        team,
        CAST(floor(date_part('epoch', to_local(arrow_cast(q * step, 'Timestamp(Second, None)'), zone)) / 3600) AS BIGINT) AS h,
        least(e, (q + 1) * step) - greatest(s, q * step) AS seconds
    FROM (
        SELECT team, s, e, step, zone,
            unnest(generate_series(CAST(floor(s / step) AS BIGINT), CAST(ceil(e / step) AS BIGINT) - 1)) AS q
        FROM spans
        WHERE e > s
    ) AS split
),
supply AS (
    SELECT
        team,
        CAST((h / 24 + 3) % 7 + 1 AS INT) AS weekday,
        CAST(h % 24 AS INT) AS hour,
        sum(seconds) / 3600.0 / $weeks AS agents_logged_in
    FROM hours
    GROUP BY 1, 2, 3
),
slots AS (
    SELECT
        coalesce(d.team, s.team) AS team,
        coalesce(d.weekday, s.weekday) AS weekday,
        coalesce(d.hour, s.hour) AS hour,
        coalesce(d.contacts_per_hour, 0) AS contacts_per_hour,
        d.aht_seconds,
        coalesce(s.agents_logged_in, 0) AS agents_logged_in
    FROM demand d
    -- NULL-safe: the contacts and the agent time without a team meet too.
    FULL JOIN supply s
        ON (s.team IS NOT DISTINCT FROM d.team) AND s.weekday = d.weekday AND s.hour = d.hour
),
needed AS (
    SELECT
        *,
        CASE
            WHEN contacts_per_hour = 0 THEN 0
            ELSE erlang_c_agents(contacts_per_hour, 3600, aht_seconds, $answer_seconds,
                                 $service_level_pct, $max_occupancy_pct)
        END AS agents_needed
    FROM slots
)
SELECT
    team,
    weekday,
    hour,
    round(contacts_per_hour, 2) AS contacts_per_hour,
    round(aht_seconds, 1) AS aht_seconds,
    agents_needed,
    CAST(ceil(agents_needed / (1 - $shrinkage_pct / 100.0)) AS BIGINT) AS agents_to_schedule,
    round(agents_logged_in, 2) AS agents_logged_in,
    round(agents_logged_in - ceil(agents_needed / (1 - $shrinkage_pct / 100.0)), 2) AS gap,
    CASE
        WHEN agents_needed IS NULL THEN NULL
        WHEN agents_logged_in < ceil(agents_needed / (1 - $shrinkage_pct / 100.0)) THEN 'under'
        WHEN agents_logged_in >= ceil(agents_needed / (1 - $shrinkage_pct / 100.0)) + 1 THEN 'over'
        ELSE 'ok'
    END AS staffing
FROM needed
ORDER BY team NULLS LAST, weekday, hour
