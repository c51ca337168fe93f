-- DuckDB twin of queries/reports/staffing.sql (kpiql report staffing),
-- clause by clause. Parameters: $end (TIMESTAMPTZ), $weeks (BIGINT),
-- $service_level_pct, $answer_seconds, $max_occupancy_pct, $shrinkage_pct
-- (DOUBLE), $channels, $hours_in (VARCHAR). Tables: views.sql.
-- erlang_c_agents is a Python function the runner registers
-- (duckdb_runner.py): the textbook Erlang C formula term by term, not
-- kpiql's Erlang B recursion. DuckDB's `/` divides as doubles, so the hour
-- arithmetic uses `//`; string_to_array / array_has are string_split /
-- list_contains; round(x, d) is df_round(x, d).
-- Hours and weekdays are DuckDB's own of the TIMESTAMPTZ values in the
-- session TimeZone (the runner's --time-zone), or with hours_in=team in the
-- team's calendar's zone: date_part('isodow') and date_part('hour') of
-- timezone(zone, ts), not kpiql's hour numbers. The weeks are calendar
-- days of the session zone before $end. Agent spans are cut at every UTC
-- quarter hour (every hour in UTC), which every zone's hours start at, and
-- each piece takes the weekday and hour of its start.
WITH team_zones AS (
    SELECT tc.team, min(bh.time_zone) AS time_zone
    FROM team_calendars tc
    JOIN business_hours bh ON bh.calendar_id = tc.calendar_id
    WHERE $hours_in = 'team'
    GROUP BY tc.team
),
bounds AS (
    SELECT
        epoch($end - to_days(CAST(7 * $weeks AS INTEGER))) AS start_s,
        epoch($end) AS end_s
),
contacts AS (
    SELECT
        i.team,
        timezone(coalesce(z.time_zone, current_setting('TimeZone')), i.created_at) AS wall,
        i.handle_seconds,
        i.agent_id IS NOT NULL AND NOT i.abandoned AS handled
    FROM interactions i
    LEFT JOIN team_zones z ON z.team = i.team
    WHERE i.created_at >= $end - to_days(CAST(7 * $weeks AS INTEGER))
        AND i.created_at < $end
        AND list_contains(string_split($channels, ','), i.channel)
),
demand AS (
    SELECT
        team,
        CAST(date_part('isodow', wall) AS INT) AS weekday,
        CAST(date_part('hour', wall) AS INT) AS hour,
        count(*) / CAST($weeks AS DOUBLE) AS contacts_per_hour,
        avg(handle_seconds) FILTER (WHERE handled) AS aht_seconds
    FROM contacts
    GROUP BY 1, 2, 3
),
spans AS (
    SELECT
        a.team,
        greatest(date_part('epoch', a.started_at), b.start_s) AS s,
        least(date_part('epoch', a.started_at) + a.seconds, b.end_s) AS e,
        coalesce(z.time_zone, current_setting('TimeZone')) AS zone
    FROM agent_states a
    CROSS JOIN bounds b
    LEFT JOIN team_zones z ON z.team = a.team
    WHERE a.started_at < $end
        AND date_part('epoch', a.started_at) + a.seconds > b.start_s
),
pieces AS (
    SELECT
        team,
        timezone(zone, to_timestamp(q * step)) AS wall,
        least(e, (q + 1) * step) - greatest(s, q * step) AS seconds
    FROM (
        SELECT team, s, e, zone, step,
            unnest(generate_series(CAST(floor(s / step) AS BIGINT), CAST(ceil(e / step) AS BIGINT) - 1)) AS q
        FROM (SELECT *, CASE WHEN zone = 'UTC' THEN 3600 ELSE 900 END AS step FROM spans) AS stepped
        WHERE e > s
    ) AS split
),
supply AS (
    SELECT
        team,
        CAST(date_part('isodow', wall) AS INT) AS weekday,
        CAST(date_part('hour', wall) AS INT) AS hour,
        sum(seconds) / 3600.0 / $weeks AS agents_logged_in
    FROM pieces
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
    df_round(contacts_per_hour, 2) AS contacts_per_hour,
    df_round(aht_seconds, 1) AS aht_seconds,
    agents_needed,
    CAST(ceil(agents_needed / (1 - $shrinkage_pct / 100.0)) AS BIGINT) AS agents_to_schedule,
    df_round(agents_logged_in, 2) AS agents_logged_in,
    df_round(agents_logged_in - ceil(agents_needed / (1 - $shrinkage_pct / 100.0)), 2) AS gap,
    CASE
        WHEN agents_needed IS NULL THEN NULL
        WHEN agents_logged_in < ceil(agents_needed / (1 - $shrinkage_pct / 100.0)) THEN 'under'
        WHEN agents_logged_in >= ceil(agents_needed / (1 - $shrinkage_pct / 100.0)) + 1 THEN 'over'
        ELSE 'ok'
    END AS staffing
FROM needed
ORDER BY team NULLS LAST, weekday, hour
