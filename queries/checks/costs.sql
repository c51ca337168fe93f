-- Contract checks for `costs` (DESIGN §1), run by `kpiql validate`.
-- One row per offending row: problem (what is wrong), detail (the row).
SELECT 'required column is NULL' AS problem,
       concat('month=', coalesce(CAST(month AS VARCHAR), 'NULL'), ' team=', coalesce(team, 'NULL'), ' nulls in: ',
              concat_ws(',',
                CASE WHEN month IS NULL THEN 'month' END,
                CASE WHEN amount IS NULL THEN 'amount' END,
                CASE WHEN currency IS NULL THEN 'currency' END)) AS detail
FROM costs
WHERE month IS NULL OR amount IS NULL OR currency IS NULL
UNION ALL
SELECT 'month is not the first day of a month', concat('month=', month, ' team=', coalesce(team, 'NULL'))
FROM costs WHERE date_part('day', month) <> 1
UNION ALL
SELECT 'negative amount', concat('month=', month, ' team=', coalesce(team, 'NULL'), ' amount=', amount)
FROM costs WHERE amount < 0
