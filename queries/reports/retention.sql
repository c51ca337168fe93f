-- @report retention
-- @description Customers at the period's start who were still customers at its end, per segment, split by their support experience before it.
-- @needs customers
-- @param start timestamp latest_full_month_start | First instant of the period, inclusive (--from; default: the first day of the latest full month in the data).
-- @param end timestamp latest_full_month_end | End of the period, exclusive (--to; default: the end of that month).
-- @param lookback_days int 90 | The support experience counted is that of the lookback_days days before $start.
-- @column segment - | The customers' segment (one row per segment, NULL segment included).
-- @column customers_at_start count | Customers at the period's start: since on or before its first day, not churned before it.
-- @column retained count | Of those, customers not churned by the period's end (churned_at NULL or on or after its end).
-- @column retention_pct percent | retained / customers_at_start.
-- @column retention_pct_escalated percent | The same for the customers with an escalated contact in the lookback.
-- @column retention_pct_bad_csat percent | The same for those with a CSAT answer of 1-2 submitted in the lookback.
-- @column retention_pct_fcr_miss percent | The same for those with a handled first contact (contact_seq 1, an agent, not abandoned) that did not resolve its ticket, created in the lookback.
-- @column retention_pct_no_contact percent | The same for those with no contact in the lookback.
-- @chart bars x=segment y=retention_pct,retention_pct_escalated,retention_pct_bad_csat,retention_pct_fcr_miss,retention_pct_no_contact | Customers retained, by what happened in support
-- Periods are whole days (customers' dates are dates): the first day is
-- $start's date in the report time zone, the end $end's. A customer can be in several
-- experience groups; a group with no customer gives NULL.
-- The bounds are written out where they are used, not a CTE joined in:
-- as constant expressions they fold to literals that prune the scans
-- (a CROSS JOIN of a bounds row left the lookback a join filter, and
-- all 95 M contacts before $start of the 100 M lake were read), and they
-- bound the experiences by the files they read, so the joins below
-- collect the experiences and the customers stream through them
-- (src/spill.rs), not the other way round (4 GiB for the customers,
-- twice). The lookback is lookback_days days of the zone's calendar
-- before $start (a DST day is one day), for contacts and answers alike.
WITH base AS (
    SELECT
        c.customer_id,
        c.segment,
        c.churned_at IS NULL OR c.churned_at >= CAST(to_local($end, $time_zone) AS DATE) AS retained
    FROM customers c
    WHERE c.since <= CAST(to_local($start, $time_zone) AS DATE)
        AND (c.churned_at IS NULL OR c.churned_at >= CAST(to_local($start, $time_zone) AS DATE))
),
contacts AS (
    SELECT
        i.customer_id,
        bool_or(i.escalated) AS escalated,
        bool_or(i.contact_seq = 1 AND i.agent_id IS NOT NULL AND NOT i.abandoned AND NOT i.resolved) AS fcr_miss
    FROM interactions i
    WHERE i.created_at >= from_local(arrow_cast(CAST((date_part('epoch', to_local($start, $time_zone)) - 86400.0 * $lookback_days) * 1000000 AS BIGINT), 'Timestamp(Microsecond, None)'), $time_zone) AND i.created_at < $start
    GROUP BY i.customer_id
),
bad_csat AS (
    SELECT DISTINCT s.customer_id
    FROM surveys s
    WHERE s.kind = 'csat' AND s.score <= 2
        AND s.submitted_at >= from_local(arrow_cast(CAST((date_part('epoch', to_local($start, $time_zone)) - 86400.0 * $lookback_days) * 1000000 AS BIGINT), 'Timestamp(Microsecond, None)'), $time_zone) AND s.submitted_at < $start
),
experienced AS (
    SELECT
        base.segment,
        base.retained,
        coalesce(k.escalated, false) AS escalated,
        q.customer_id IS NOT NULL AS bad_csat,
        coalesce(k.fcr_miss, false) AS fcr_miss,
        k.customer_id IS NULL AS no_contact
    FROM base
    LEFT JOIN contacts k ON k.customer_id = base.customer_id
    LEFT JOIN bad_csat q ON q.customer_id = base.customer_id
)
SELECT
    segment,
    count(*) AS customers_at_start,
    count(*) FILTER (WHERE retained) AS retained,
    round(100.0 * count(*) FILTER (WHERE retained) / count(*), 2) AS retention_pct,
    round(100.0 * count(*) FILTER (WHERE retained AND escalated)
        / nullif(count(*) FILTER (WHERE escalated), 0), 2) AS retention_pct_escalated,
    round(100.0 * count(*) FILTER (WHERE retained AND bad_csat)
        / nullif(count(*) FILTER (WHERE bad_csat), 0), 2) AS retention_pct_bad_csat,
    round(100.0 * count(*) FILTER (WHERE retained AND fcr_miss)
        / nullif(count(*) FILTER (WHERE fcr_miss), 0), 2) AS retention_pct_fcr_miss,
    round(100.0 * count(*) FILTER (WHERE retained AND no_contact)
        / nullif(count(*) FILTER (WHERE no_contact), 0), 2) AS retention_pct_no_contact
FROM experienced
GROUP BY segment
ORDER BY segment NULLS LAST
