-- @warning unmatched_answers
-- @description survey answers that rate a contact the lake does not have: {n} submitted in the period, left out of this report's per-team, per-agent and per-channel figures (kpiql validate lists them).
-- Answers with an interaction_id that no interaction has. Relationship
-- answers (no interaction_id) are not about a contact and do not count.
SELECT count(*) AS n
FROM surveys s
WHERE s.submitted_at >= $start AND s.submitted_at < $end
    AND s.interaction_id IS NOT NULL
    AND s.interaction_id NOT IN (SELECT interaction_id FROM interactions)
