-- @report customers
-- @description Customers who stand out in a period: most chat contacts, lowest and highest CSAT.
-- @param start timestamp latest_full_month_start | First instant of the period, inclusive (--from; default: the first day of the latest full month in the data).
-- @param end timestamp latest_full_month_end | End of the period, exclusive (--to; default: the end of that month).
-- @param top int 10 | Length of each list.
-- @param min_answers int 3 | CSAT answers a customer needs in the period to be ranked by CSAT.
-- @column customer_id - | The customer (one row per customer on at least one list).
-- @column interactions count | The customer's contacts created in the period.
-- @column chat_interactions count | Of those, on the chat channel.
-- @column csat_pct percent | CSAT of the customer's answers submitted in the period.
-- @column csat_answers count | Number of those CSAT answers.
-- @column rank_most_chat rank | 1 = most chat contacts (ties share a rank); NULL if not in the top list.
-- @column rank_lowest_csat rank | 1 = lowest CSAT among customers with at least min_answers answers; NULL if not listed.
-- @column rank_highest_csat rank | 1 = highest CSAT among those customers; NULL if not listed.
-- @chart ranking x=customer_id y=chat_interactions,interactions rank=rank_most_chat | Most chat contacts
-- @chart ranking x=customer_id y=csat_pct,csat_answers rank=rank_lowest_csat | Lowest CSAT
-- @chart ranking x=customer_id y=csat_pct,csat_answers rank=rank_highest_csat | Highest CSAT
-- Ranks are RANK(): ties share a rank, so a list may hold more than `top`
-- customers when the last place is shared.
-- One grouping of the period's contacts and answers together, not one of
-- each joined (FULL JOIN) on customer_id: the same rows (customer_id is
-- never NULL), one hash table instead of three.
WITH customers AS (
    SELECT
        customer_id,
        count(*) FILTER (WHERE contact) AS interactions,
        count(*) FILTER (WHERE contact AND channel = 'chat') AS chat_interactions,
        csat(score) FILTER (WHERE kind = 'csat') AS csat_pct,
        count(*) FILTER (WHERE kind = 'csat') AS csat_answers
    FROM (
        SELECT customer_id, true AS contact, channel, CAST(NULL AS VARCHAR) AS kind, CAST(NULL AS INT) AS score
        FROM interactions
        WHERE created_at >= $start AND created_at < $end
        UNION ALL
        SELECT customer_id, false, NULL, kind, score
        FROM surveys
        WHERE submitted_at >= $start AND submitted_at < $end
    ) AS t
    GROUP BY customer_id
),
-- A customer is on a list (RANK() <= $top) exactly when its value is at
-- least the $top-th best of the list's values, duplicates counted
-- (nth_largest, DESIGN §2): one pass over every customer, no sort, keeps
-- the listed ones, and only they are ranked. Every customer ranked above
-- a listed one is listed too, so the ranks among them are the ranks
-- among all. (Ranking every customer sorted them all three times in one
-- partition: 1.5 s of 3.5 at 100 M contacts, bench/README.md.) A NULL cut:
-- fewer than $top values, so all of them are listed.
cuts AS (
    SELECT
        *,
        nth_largest(CASE WHEN chat_interactions > 0 THEN chat_interactions END, greatest($top, 1)) OVER () AS chat_cut,
        nth_smallest(CASE WHEN csat_answers >= $min_answers THEN csat_pct END, greatest($top, 1)) OVER () AS low_cut,
        nth_largest(CASE WHEN csat_answers >= $min_answers THEN csat_pct END, greatest($top, 1)) OVER () AS high_cut
    FROM customers
),
listed AS (
    SELECT customer_id, interactions, chat_interactions, csat_pct, csat_answers
    FROM cuts
    WHERE (chat_interactions > 0 AND (chat_cut IS NULL OR chat_interactions >= chat_cut))
        OR (csat_answers >= $min_answers AND csat_pct IS NOT NULL
            AND (low_cut IS NULL OR csat_pct <= low_cut OR csat_pct >= high_cut))
),
ranked AS (
    SELECT
        *,
        CASE WHEN chat_interactions > 0
             THEN rank() OVER (ORDER BY chat_interactions DESC) END AS chat_rank,
        CASE WHEN csat_answers >= $min_answers AND csat_pct IS NOT NULL
             THEN rank() OVER (ORDER BY CASE WHEN csat_answers >= $min_answers THEN csat_pct END ASC NULLS LAST) END AS low_rank,
        CASE WHEN csat_answers >= $min_answers AND csat_pct IS NOT NULL
             THEN rank() OVER (ORDER BY CASE WHEN csat_answers >= $min_answers THEN csat_pct END DESC NULLS LAST) END AS high_rank
    FROM listed
)
SELECT
    customer_id,
    interactions,
    chat_interactions,
    round(csat_pct, 2) AS csat_pct,
    csat_answers,
    CASE WHEN chat_rank <= $top THEN chat_rank END AS rank_most_chat,
    CASE WHEN low_rank <= $top THEN low_rank END AS rank_lowest_csat,
    CASE WHEN high_rank <= $top THEN high_rank END AS rank_highest_csat
FROM ranked
WHERE chat_rank <= $top OR low_rank <= $top OR high_rank <= $top
ORDER BY rank_most_chat NULLS LAST, rank_lowest_csat NULLS LAST, rank_highest_csat NULLS LAST, customer_id
