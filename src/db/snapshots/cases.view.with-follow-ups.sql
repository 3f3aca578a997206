-- cases.view.with-follow-ups: GET /api/v1/cases/{id}?include=followUps (the case and its newest 50 follow-ups, one JSON value)
-- built by cases/followups-store.ts findCaseWithFollowUps (rendered by npm run sql:snapshots; do not edit)

-- prepared as: cases.findWithFollowUps
-- $1 = '00000000-0000-4000-8000-000000000001'
-- $2 = 51
SELECT c.id, c.case_number, c.customer_id, c.subject, c.description, c.status, c.is_open, c.priority, c.severity, c.visibility, c.owner_id, c.channel, c.opened_at, c.closed_at, c.custom_fields, c.tags, c.version, c.created_at, c.updated_at,
  (SELECT coalesce(json_agg(f ORDER BY f.seq DESC), '[]'::json) FROM (
     SELECT id, seq, case_id, kind, direction, visibility, body, author_type, author_id, author_name, channel,
       email, custom_fields, interaction, notified,
       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at
     FROM case_follow_ups WHERE case_id = c.id ORDER BY seq DESC LIMIT $2) f) AS follow_ups
FROM cases c WHERE c.id = $1;
