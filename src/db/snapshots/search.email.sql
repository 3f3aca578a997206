-- search.email: GET /api/v1/search?q=printer jam (the email messages on cases)
-- built by email/store.ts searchMessages (rendered by npm run sql:snapshots; do not edit)

-- prepared as: (unnamed: planned for its values)
-- $1 = 'printer jam'
-- $2 = 'printer'
-- $3 = 20
SELECT case_id, follow_up_id, substr(coalesce(subject, '') || ' ' || coalesce(text_body, ''), greatest(1, strpos(lower(coalesce(subject, '') || ' ' || coalesce(text_body, '')), $2) - 80), 320) AS excerpt, created_at FROM email_messages
WHERE case_id IS NOT NULL AND to_tsvector('simple'::regconfig, coalesce(subject, '') || ' ' || coalesce(text_body, '')) @@ websearch_to_tsquery('simple', $1)
ORDER BY created_at DESC, id DESC LIMIT $3;
