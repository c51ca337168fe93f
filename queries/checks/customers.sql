-- Contract checks for `customers` (DESIGN §1), run by `kpiql validate`.
-- One row per offending row: problem (what is wrong), detail (the row).
SELECT 'required column is NULL' AS problem,
       concat('customer_id=', coalesce(customer_id, 'NULL'), ' nulls in: ',
              concat_ws(',',
                CASE WHEN customer_id IS NULL THEN 'customer_id' END,
                CASE WHEN since IS NULL THEN 'since' END)) AS detail
FROM customers
WHERE customer_id IS NULL OR since IS NULL
UNION ALL
SELECT 'churned_at before since', concat('customer_id=', customer_id, ' since=', since, ' churned_at=', churned_at)
FROM customers WHERE churned_at < since
UNION ALL
SELECT 'duplicate customer_id', concat('customer_id=', customer_id, ' appears ', count(*), ' times')
FROM customers WHERE customer_id IS NOT NULL GROUP BY customer_id HAVING count(*) > 1
