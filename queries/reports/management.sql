-- @report management
-- @description Support management's monthly view, fiscal year to date, with the same month of the previous year.
-- @param start timestamp fiscal_year_start | First instant of the period, inclusive (--from; default: the start of the fiscal year of the latest full month in the data).
-- @param end timestamp latest_full_month_end | End of the period, exclusive (--to; default: the end of the latest full month in the data).
-- @param fiscal_year_start_month int 1 | The month (1-12) a fiscal year starts in; year-to-date sums restart there.
-- @column month date | The month (one row per month of the period with interactions).
-- @column interactions count | Contacts created in the month.
-- @column ytd_interactions count | Contacts from the start of the month's fiscal year (within the period) to the month's end.
-- @column asa_seconds seconds | Average speed of answer: mean wait of phone and chat contacts that reached an agent.
-- @column csat_pct percent | CSAT of all CSAT answers submitted in the month.
-- @column nps points | NPS of all NPS answers submitted in the month, relationship surveys included.
-- @column aht_seconds seconds | Average handle time.
-- @column total_cost money | All support cost of the month, shared cost (costs.team NULL) included.
-- @column cost_per_interaction money | Total cost / interactions.
-- @column interactions_prev_year count | Interactions in the same month a year earlier (NULL where the data has none).
-- @column csat_pct_prev_year percent | CSAT in the same month a year earlier.
-- @column nps_prev_year points | NPS in the same month a year earlier.
-- @column aht_seconds_prev_year seconds | Average handle time in the same month a year earlier.
-- @column cost_per_interaction_prev_year money | Cost per interaction in the same month a year earlier.
-- Cost is summed as stored; a lake with several currencies needs converting
-- first. Shared cost enters cost per interaction in full: it is the cost of
-- serving those contacts too.
-- Months are cut from the UTC instants relabelled as zone-less: the same
-- month, without DataFusion's per-value time-zone path (docs/upstream/).
WITH months AS (
    SELECT
        CAST(date_trunc('month', arrow_cast(created_at, 'Timestamp(Microsecond, None)')) AS DATE) AS month,
        count(*) AS interactions,
        avg(wait_seconds) FILTER (WHERE channel IN ('phone', 'chat') AND NOT abandoned AND agent_id IS NOT NULL) AS asa_seconds,
        avg(handle_seconds) AS aht_seconds
    FROM interactions
    WHERE created_at >= $start - INTERVAL '1 year' AND created_at < $end
    GROUP BY 1
),
answers AS (
    SELECT
        CAST(date_trunc('month', arrow_cast(submitted_at, 'Timestamp(Microsecond, None)')) AS DATE) AS month,
        csat(score) FILTER (WHERE kind = 'csat') AS csat_pct,
        nps(score) FILTER (WHERE kind = 'nps') AS nps
    FROM surveys
    WHERE submitted_at >= $start - INTERVAL '1 year' AND submitted_at < $end
    GROUP BY 1
),
spend AS (
    SELECT month, sum(amount) AS total_cost
    FROM costs
    GROUP BY 1
),
monthly AS (
    SELECT
        m.month,
        m.interactions,
        m.asa_seconds,
        a.csat_pct,
        a.nps,
        m.aht_seconds,
        c.total_cost,
        CAST(c.total_cost AS DOUBLE) / m.interactions AS cost_per_interaction,
        CASE WHEN date_part('month', m.month) >= $fiscal_year_start_month
             THEN date_part('year', m.month)
             ELSE date_part('year', m.month) - 1 END AS fiscal_year
    FROM months m
    LEFT JOIN answers a ON a.month = m.month
    LEFT JOIN spend c ON c.month = m.month
)
SELECT
    cur.month,
    cur.interactions,
    sum(cur.interactions) OVER (PARTITION BY cur.fiscal_year ORDER BY cur.month) AS ytd_interactions,
    round(cur.asa_seconds, 1) AS asa_seconds,
    round(cur.csat_pct, 2) AS csat_pct,
    round(cur.nps, 2) AS nps,
    round(cur.aht_seconds, 1) AS aht_seconds,
    cur.total_cost,
    round(cur.cost_per_interaction, 2) AS cost_per_interaction,
    prev.interactions AS interactions_prev_year,
    round(prev.csat_pct, 2) AS csat_pct_prev_year,
    round(prev.nps, 2) AS nps_prev_year,
    round(prev.aht_seconds, 1) AS aht_seconds_prev_year,
    round(prev.cost_per_interaction, 2) AS cost_per_interaction_prev_year
FROM monthly cur
LEFT JOIN monthly prev ON prev.month = cur.month - INTERVAL '1 year'
WHERE cur.month >= CAST($start AS DATE)
ORDER BY cur.month
