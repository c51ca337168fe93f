-- @report management
-- @description Support management's monthly view, fiscal year to date, with the same month of the previous year.
-- @param start timestamp fiscal_year_start | First instant of the period, inclusive (--from; default: the start of the fiscal year of the latest full month in the data).
-- @param end timestamp latest_full_month_end | End of the period, exclusive (--to; default: the end of the latest full month in the data).
-- @param fiscal_year_start_month int 1 | The month (1-12) a fiscal year starts in; year-to-date sums restart there.
-- @column month date | The month (one row per month of the period with interactions; a month the period only partly covers is shown too).
-- @column partial boolean | The period covers only part of the month (a --from or --to inside it): its figures are for that part.
-- @column interactions count | Contacts created in the month (in the period's part of it).
-- @column ytd_interactions count | Contacts from the start of the month's fiscal year to the month's end (or $end), whatever the period's start.
-- @column asa_seconds seconds | Average speed of answer: mean wait of phone and chat contacts that reached an agent.
-- @column csat_pct percent | CSAT of all CSAT answers submitted in the month.
-- @column nps points | NPS of all NPS answers submitted in the month, relationship surveys included.
-- @column aht_seconds seconds | Average handle time.
-- @column total_cost money | All support cost of the month, shared cost (costs.team NULL) included.
-- @column cost_per_interaction money | Total cost / interactions; NULL for a partial month (a month's cost over part of its contacts means nothing).
-- @column interactions_prev_year count | Interactions in the same month a year earlier, over the same days for a partial month (NULL where the data has none).
-- @column csat_pct_prev_year percent | CSAT in the same month a year earlier.
-- @column nps_prev_year points | NPS in the same month a year earlier.
-- @column aht_seconds_prev_year seconds | Average handle time in the same month a year earlier.
-- @column cost_per_interaction_prev_year money | Cost per interaction in the same month a year earlier.
-- @chart bars x=month y=interactions,interactions_prev_year | Interactions per month, beside the same month a year earlier
-- @chart lines x=month y=csat_pct,csat_pct_prev_year | CSAT per month, and a year earlier
-- @chart lines x=month y=nps,nps_prev_year | NPS per month, and a year earlier
-- @chart lines x=month y=aht_seconds,aht_seconds_prev_year | Average handle time per month, and a year earlier
-- @chart lines x=month y=cost_per_interaction,cost_per_interaction_prev_year | Cost per interaction, and a year earlier
-- Cost is summed as stored; a lake with several currencies needs converting
-- first. Shared cost enters cost per interaction in full: it is the cost of
-- serving those contacts too.
-- Months are the report time zone's ($time_zone): the instants' wall
-- clock there (to_local), cut with date_trunc on zone-less timestamps,
-- not DataFusion's per-value time-zone path (docs/upstream/).
-- The previous year is the period shifted back a year on the zone's
-- calendar, computed on its own (a period longer than a year overlaps its
-- own previous year).
WITH cur AS (
    SELECT
        CAST(date_trunc('month', to_local(created_at, $time_zone)) AS DATE) AS month,
        count(*) AS interactions,
        avg(wait_seconds) FILTER (WHERE channel IN ('phone', 'chat') AND NOT abandoned AND agent_id IS NOT NULL) AS asa_seconds,
        avg(handle_seconds) AS aht_seconds
    FROM interactions
    WHERE created_at >= $start AND created_at < $end
    GROUP BY 1
),
prev AS (
    SELECT
        CAST(date_trunc('month', to_local(created_at, $time_zone)) AS DATE) + INTERVAL '1 year' AS month,
        count(*) AS interactions,
        avg(handle_seconds) AS aht_seconds
    FROM interactions
    WHERE created_at >= from_local(to_local($start, $time_zone) - INTERVAL '1 year', $time_zone)
        AND created_at < from_local(to_local($end, $time_zone) - INTERVAL '1 year', $time_zone)
    GROUP BY 1
),
-- Year to date counts from the start of the fiscal year $start falls in.
ytd AS (
    SELECT
        month,
        sum(interactions) OVER (PARTITION BY fiscal_year ORDER BY month) AS ytd_interactions
    FROM (
        SELECT
            month,
            count(*) AS interactions,
            CASE WHEN date_part('month', month) >= $fiscal_year_start_month
                 THEN date_part('year', month)
                 ELSE date_part('year', month) - 1 END AS fiscal_year
        FROM (
            SELECT CAST(date_trunc('month', to_local(created_at, $time_zone)) AS DATE) AS month
            FROM interactions
            WHERE created_at < $end
                AND created_at >= from_local(make_date(
                    CAST(CASE WHEN date_part('month', to_local($start, $time_zone)) >= $fiscal_year_start_month
                              THEN date_part('year', to_local($start, $time_zone))
                              ELSE date_part('year', to_local($start, $time_zone)) - 1 END AS INT),
                    CAST($fiscal_year_start_month AS INT), 1), $time_zone)
        ) AS contacts
        GROUP BY month
    ) AS monthly
),
answers AS (
    SELECT
        CAST(date_trunc('month', to_local(submitted_at, $time_zone)) AS DATE) AS month,
        csat(score) FILTER (WHERE kind = 'csat') AS csat_pct,
        nps(score) FILTER (WHERE kind = 'nps') AS nps
    FROM surveys
    WHERE submitted_at >= $start AND submitted_at < $end
    GROUP BY 1
),
prev_answers AS (
    SELECT
        CAST(date_trunc('month', to_local(submitted_at, $time_zone)) AS DATE) + INTERVAL '1 year' AS month,
        csat(score) FILTER (WHERE kind = 'csat') AS csat_pct,
        nps(score) FILTER (WHERE kind = 'nps') AS nps
    FROM surveys
    WHERE submitted_at >= from_local(to_local($start, $time_zone) - INTERVAL '1 year', $time_zone)
        AND submitted_at < from_local(to_local($end, $time_zone) - INTERVAL '1 year', $time_zone)
    GROUP BY 1
),
spend AS (
    SELECT month, sum(amount) AS total_cost
    FROM costs
    GROUP BY 1
),
months AS (
    SELECT
        c.*,
        from_local(c.month, $time_zone) < $start
            OR from_local(c.month + INTERVAL '1 month', $time_zone) > $end AS partial
    FROM cur c
)
SELECT
    m.month,
    m.partial,
    m.interactions,
    y.ytd_interactions,
    round(m.asa_seconds, 1) AS asa_seconds,
    round(a.csat_pct, 2) AS csat_pct,
    round(a.nps, 2) AS nps,
    round(m.aht_seconds, 1) AS aht_seconds,
    s.total_cost,
    round(CASE WHEN NOT m.partial THEN CAST(s.total_cost AS DOUBLE) / m.interactions END, 2) AS cost_per_interaction,
    p.interactions AS interactions_prev_year,
    round(pa.csat_pct, 2) AS csat_pct_prev_year,
    round(pa.nps, 2) AS nps_prev_year,
    round(p.aht_seconds, 1) AS aht_seconds_prev_year,
    round(CASE WHEN NOT m.partial THEN CAST(ps.total_cost AS DOUBLE) / p.interactions END, 2) AS cost_per_interaction_prev_year
FROM months m
LEFT JOIN ytd y ON y.month = m.month
LEFT JOIN answers a ON a.month = m.month
LEFT JOIN spend s ON s.month = m.month
LEFT JOIN prev p ON p.month = m.month
LEFT JOIN prev_answers pa ON pa.month = m.month
LEFT JOIN spend ps ON ps.month = m.month - INTERVAL '1 year'
ORDER BY m.month
