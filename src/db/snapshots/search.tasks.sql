-- search.tasks: GET /api/v1/search?q=printer jam (tasks)
-- built by tasks/store.ts searchTasks (rendered by npm run sql:snapshots; do not edit)

-- prepared as: (unnamed: planned for its values)
-- $1 = 'printer jam'
-- $2 = 'printer'
-- $3 = 20
SELECT id, type, subject, customer_id, case_id, status, due_at, created_at,
  substr(coalesce(notes, ''), greatest(1, strpos(lower(coalesce(notes, '')), $2) - 80), 320) AS excerpt
FROM tasks WHERE to_tsvector('simple'::regconfig, subject || ' ' || coalesce(notes, '')) @@ websearch_to_tsquery('simple', $1)
ORDER BY created_at DESC, id DESC LIMIT $3;
