-- @report team_month
-- @description Handle time, CSAT and volume by team by month, fiscal year to date.
-- @warns unmatched_answers
-- @param start timestamp fiscal_year_start | First instant of the period, inclusive (--from; default: the start of the fiscal year of the latest full month in the data).
-- @param end timestamp latest_full_month_end | End of the period, exclusive (--to; default: the end of the latest full month in the data).
-- @param fiscal_year_start_month int 1 | The month (1-12) a fiscal year starts in (used for the default period).
-- @column team - | The team.
-- @column month date | The month (one row per team and month with interactions).
-- @column partial boolean | The period covers only part of the month (a --from or --to inside it): its figures are for that part.
-- @column interactions count | Contacts created in the month.
-- @column aht_seconds seconds | Average handle time.
-- @column csat_pct percent | CSAT of answers submitted in the month about the team's contacts.
-- @column csat_answers count | Number of those CSAT answers.
-- @chart lines x=month y=aht_seconds facet=team | Average handle time per month, per team
-- @chart lines x=month y=csat_pct facet=team | CSAT per month, per team
-- Months are the report time zone's ($time_zone): the instants' wall
-- clock there (to_local), cut with date_trunc on zone-less timestamps,
-- not DataFusion's per-value time-zone path (docs/upstream/).
WITH work AS (
    SELECT
        team,
        CAST(date_trunc('month', to_local(created_at, $time_zone)) AS DATE) AS month,
        count(*) AS interactions,
        avg(handle_seconds) AS aht_seconds
    FROM interactions
    WHERE created_at >= $start AND created_at < $end
    GROUP BY 1, 2
),
answers AS (
    SELECT
        i.team,
        CAST(date_trunc('month', to_local(s.submitted_at, $time_zone)) AS DATE) AS month,
        csat(s.score) AS csat_pct,
        count(*) AS csat_answers
    FROM surveys s
    JOIN interactions i ON i.interaction_id = s.interaction_id
    -- Only the kind used above: the join holds less (issue 11); and no
    -- FILTER on kind above, so kind is not in the join's build side
    -- (a third smaller, within kpiql.hash_join_build_bytes at 100 M).
    WHERE s.kind = 'csat' AND s.submitted_at >= $start AND s.submitted_at < $end
    GROUP BY 1, 2
)
SELECT
    w.team,
    w.month,
    from_local(w.month, $time_zone) < $start
        OR from_local(w.month + INTERVAL '1 month', $time_zone) > $end AS partial,
    w.interactions,
    round(w.aht_seconds, 1) AS aht_seconds,
    round(a.csat_pct, 2) AS csat_pct,
    coalesce(a.csat_answers, 0) AS csat_answers
FROM work w
-- NULL-safe: the row of contacts without a team gets its answers too.
LEFT JOIN answers a ON (a.team IS NOT DISTINCT FROM w.team) AND a.month = w.month
ORDER BY w.team NULLS LAST, w.month
