-- @report agent_satisfaction
-- @description Agent satisfaction (eSAT, eNPS) by team and month, with the team's CSAT beside it.
-- @needs agent_surveys
-- @warns unmatched_answers
-- @param start timestamp fiscal_year_start | First instant of the period, inclusive (--from; default: the start of the fiscal year of the latest full month in the data).
-- @param end timestamp latest_full_month_end | End of the period, exclusive (--to; default: the end of the latest full month in the data).
-- @param fiscal_year_start_month int 1 | The month (1-12) a fiscal year starts in (used for the default period).
-- @column team - | The team (the agent's team for eSAT and eNPS, the contact's team for CSAT; one row per team and month with either).
-- @column month date | The month the answers were submitted in.
-- @column partial boolean | The period covers only part of the month (a --from or --to inside it): its figures are for that part.
-- @column esat_pct percent | eSAT: the team's agents' eSAT answers scoring 4-5 / their eSAT answers (agent_surveys, kind esat, 1-5).
-- @column esat_answers count | Number of those eSAT answers.
-- @column enps points | eNPS: promoters (9-10) minus detractors (0-6), percent of the team's eNPS answers (kind enps, 0-10).
-- @column enps_answers count | Number of those eNPS answers.
-- @column csat_pct percent | CSAT of the customer answers submitted in the month about the team's contacts.
-- @column csat_answers count | Number of those CSAT answers.
-- @chart lines x=month y=esat_pct facet=team | Agent satisfaction (ESAT) per month, per team
-- @chart lines x=month y=enps facet=team | Agent NPS per month, per team
-- Months are the report time zone's, as in team_month. A score outside its kind's domain is an error (as for
-- customer surveys); answers of another kind are not counted.
WITH agents AS (
    SELECT
        team,
        CAST(date_trunc('month', to_local(submitted_at, $time_zone)) AS DATE) AS month,
        esat(score) FILTER (WHERE kind = 'esat') AS esat_pct,
        count(*) FILTER (WHERE kind = 'esat') AS esat_answers,
        nps(score) FILTER (WHERE kind = 'enps') AS enps,
        count(*) FILTER (WHERE kind = 'enps') AS enps_answers
    FROM agent_surveys
    WHERE submitted_at >= $start AND submitted_at < $end
    GROUP BY 1, 2
),
customers AS (
    SELECT
        i.team,
        CAST(date_trunc('month', to_local(s.submitted_at, $time_zone)) AS DATE) AS month,
        csat(s.score) AS csat_pct,
        count(*) AS csat_answers
    FROM surveys s
    JOIN interactions i ON i.interaction_id = s.interaction_id
    WHERE s.kind = 'csat' AND s.submitted_at >= $start AND s.submitted_at < $end
    GROUP BY 1, 2
),
months AS (
    SELECT
        coalesce(a.team, c.team) AS team,
        coalesce(a.month, c.month) AS month,
        a.esat_pct,
        a.esat_answers,
        a.enps,
        a.enps_answers,
        c.csat_pct,
        c.csat_answers
    FROM agents a
    -- NULL-safe: answers without a team meet too.
    FULL JOIN customers c ON (c.team IS NOT DISTINCT FROM a.team) AND c.month = a.month
)
SELECT
    team,
    month,
    from_local(month, $time_zone) < $start
        OR from_local(month + INTERVAL '1 month', $time_zone) > $end AS partial,
    round(esat_pct, 2) AS esat_pct,
    coalesce(esat_answers, 0) AS esat_answers,
    round(enps, 2) AS enps,
    coalesce(enps_answers, 0) AS enps_answers,
    round(csat_pct, 2) AS csat_pct,
    coalesce(csat_answers, 0) AS csat_answers
FROM months
ORDER BY team NULLS LAST, month
