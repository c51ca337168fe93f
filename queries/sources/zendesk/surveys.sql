-- CSAT is the ticket's satisfaction rating, the latest `good` or `bad` of
-- its `satisfaction_score` history (a customer may change it; Zendesk
-- counts the last), in kpiql's good/bad form: good is 5 and bad is 1 on
-- the 1-5 scale, so `csat(score)` is the share of good ratings. `offered`
-- and `unoffered` are not answers; any other value is not counted either,
-- and `kpiql validate` names it. The rated contact is the one the rating
-- was given in; the comment is `satisfaction_comment` set with it. Reads
-- `interactions`, the view before this one.
WITH ratings AS (
  SELECT
    ticket_id, updated, lower(value) AS rating,
    row_number() OVER (PARTITION BY ticket_id ORDER BY updated DESC, value) AS latest
  FROM ticket_field_history
  WHERE field_name = 'satisfaction_score' AND lower(value) IN ('good', 'bad')
),
comments AS (
  SELECT ticket_id, updated, max(value) AS comment
  FROM ticket_field_history
  WHERE field_name = 'satisfaction_comment'
  GROUP BY ticket_id, updated
),
rated AS (
  -- The contact it was given in: the ticket's latest contact started by
  -- then (`interactions`, computed once per session).
  SELECT
    r.ticket_id, r.updated, r.rating,
    max(i.contact_seq) AS contact_seq,
    max(i.customer_id) AS customer_id
  FROM ratings r
  JOIN interactions i
    ON i.ticket_id = CAST(r.ticket_id AS VARCHAR)
    AND (i.contact_seq = 1 OR i.created_at <= r.updated)
  WHERE r.latest = 1
  GROUP BY r.ticket_id, r.updated, r.rating
)
SELECT
  CAST(r.ticket_id AS VARCHAR) || '-csat' AS survey_id,
  CAST(r.ticket_id AS VARCHAR) || '-' || CAST(r.contact_seq AS VARCHAR) AS interaction_id,
  CAST(r.ticket_id AS VARCHAR) AS ticket_id,
  r.customer_id,
  'csat' AS kind,
  CASE r.rating WHEN 'good' THEN 5 ELSE 1 END AS score,
  r.updated AS submitted_at,
  m.comment
FROM rated r
LEFT JOIN comments m ON m.ticket_id = r.ticket_id AND m.updated = r.updated
