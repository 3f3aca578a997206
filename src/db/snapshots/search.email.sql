-- search.email: GET /api/v1/search?q=printer jam (the email messages on cases)
-- built by email/store.ts searchMessages (rendered by npm run sql:snapshots; do not edit)

-- statement 1 of 2
-- prepared as: (unnamed: planned for its values)
-- $1 = 'email_messages'
-- $2 = 'search'
SELECT s.most_common_elems::text::text[] AS elems, s.most_common_elem_freqs::float8[] AS freqs,
     (SELECT c.reltuples::float8 FROM pg_class c WHERE c.relname = $1 LIMIT 1) AS rows
FROM pg_stats s WHERE s.schemaname = current_schema() AND s.tablename = $1
 AND s.attname = $2;

-- statement 2 of 2
-- prepared as: (unnamed: planned for its values)
-- $1 = 'printer'
-- $2 = 'printer'
-- $3 = 'jam:*'
SELECT case_id, follow_up_id, substr(coalesce(subject, '') || ' ' || coalesce(text_body, ''), greatest(1, strpos(lower(coalesce(subject, '') || ' ' || coalesce(text_body, '')), $1) - 80), 320) AS excerpt, created_at FROM email_messages
WHERE case_id IS NOT NULL AND search @@ (websearch_to_tsquery('simple', $2) && to_tsquery('simple', $3))
ORDER BY (created_at + interval '0 seconds') DESC, id DESC LIMIT 20;
