-- DuckDB twin of queries/reports/bots.sql (kpiql report bots), clause by
-- clause. Parameters: $start, $end (TIMESTAMPTZ). Tables: views.sql (a lake
-- without the `bot` column reads it as NULL there too). KPI functions as
-- their DESIGN §2 formulas (100.0 written as a DOUBLE, as DataFusion types
-- it):
--   csat(score) = 100 * count(*) FILTER (score >= 4) / nullif(count(score), 0)
-- round(x, d) is df_round(x, d).
WITH bot_first AS (
    -- One row per ticket even if a lake repeats contact_seq 1.
    SELECT ticket_id, min(channel) AS channel, min(team) AS team
    FROM interactions
    WHERE contact_seq = 1 AND bot AND created_at >= $start AND created_at < $end
    GROUP BY ticket_id
),
bot_contacts AS (
    SELECT
        b.channel,
        b.team,
        avg(date_part('epoch', i.ended_at) - date_part('epoch', i.created_at)) AS avg_bot_seconds
    FROM bot_first b
    JOIN interactions i ON i.ticket_id = b.ticket_id
    WHERE i.bot AND i.contact_seq = 1
    GROUP BY 1, 2
),
outcomes AS (
    SELECT
        b.ticket_id,
        b.channel,
        b.team,
        bool_or(i.resolved) AND NOT bool_or(i.bot IS NOT TRUE AND i.agent_id IS NOT NULL AND NOT i.abandoned) AS contained,
        bool_or(i.bot IS NOT TRUE AND i.agent_id IS NOT NULL AND NOT i.abandoned) AS handed_off
    FROM bot_first b
    JOIN interactions i ON i.ticket_id = b.ticket_id
    GROUP BY 1, 2, 3
),
counts AS (
    SELECT
        channel,
        team,
        count(*) AS bot_tickets,
        count(*) FILTER (WHERE contained) AS contained,
        count(*) FILTER (WHERE handed_off) AS handed_off,
        count(*) FILTER (WHERE NOT contained AND NOT handed_off) AS left_unresolved
    FROM outcomes
    GROUP BY 1, 2
),
answers AS (
    SELECT
        o.channel,
        o.team,
        CAST(100.0 AS DOUBLE) * count(*) FILTER (WHERE o.contained AND s.score >= 4)
            / nullif(count(s.score) FILTER (WHERE o.contained), 0) AS csat_contained_pct,
        count(*) FILTER (WHERE o.contained) AS csat_contained_answers,
        CAST(100.0 AS DOUBLE) * count(*) FILTER (WHERE o.handed_off AND s.score >= 4)
            / nullif(count(s.score) FILTER (WHERE o.handed_off), 0) AS csat_handed_off_pct,
        count(*) FILTER (WHERE o.handed_off) AS csat_handed_off_answers
    FROM outcomes o
    JOIN surveys s ON s.ticket_id = o.ticket_id
    WHERE s.kind = 'csat'
    GROUP BY 1, 2
)
SELECT
    c.channel,
    c.team,
    c.bot_tickets,
    c.contained,
    df_round(CAST(100.0 AS DOUBLE) * c.contained / c.bot_tickets, 2) AS containment_pct,
    c.handed_off,
    df_round(CAST(100.0 AS DOUBLE) * c.handed_off / c.bot_tickets, 2) AS handoff_pct,
    c.left_unresolved,
    df_round(CAST(100.0 AS DOUBLE) * c.left_unresolved / c.bot_tickets, 2) AS left_unresolved_pct,
    df_round(t.avg_bot_seconds, 1) AS avg_bot_seconds,
    df_round(a.csat_contained_pct, 2) AS csat_contained_pct,
    coalesce(a.csat_contained_answers, 0) AS csat_contained_answers,
    df_round(a.csat_handed_off_pct, 2) AS csat_handed_off_pct,
    coalesce(a.csat_handed_off_answers, 0) AS csat_handed_off_answers
FROM counts c
-- NULL-safe: tickets without a team meet their figures too.
LEFT JOIN bot_contacts t ON t.channel = c.channel AND t.team IS NOT DISTINCT FROM c.team
LEFT JOIN answers a ON a.channel = c.channel AND a.team IS NOT DISTINCT FROM c.team
ORDER BY c.channel, c.team NULLS LAST
