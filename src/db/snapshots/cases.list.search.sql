-- cases.list.search: GET /api/v1/cases?q=refund&priority=high,urgent&status=open (newest first)
-- built by cases/store.ts listCases (rendered by npm run sql:snapshots; do not edit)

-- prepared as: (unnamed: planned for its values)
-- $1 = ["high","urgent"]
-- $2 = 'refund'
-- $3 = 51
SELECT c.id, c.case_number, c.customer_id, c.subject, c.description, c.status, c.is_open, c.priority, c.severity, c.visibility, c.owner_id, c.channel, to_char(c.opened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS opened_at, to_char(c.closed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS closed_at, c.custom_fields, c.tags, c.version, to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at, to_char(c.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS updated_at, to_char(c.opened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS sort_key FROM cases c
WHERE c.is_open AND c.priority = ANY($1::text[]) AND c.search @@ websearch_to_tsquery('english', $2)
ORDER BY c.opened_at DESC, c.id DESC LIMIT $3;
