-- search.cases: GET /api/v1/search?q=100123 by an agent without cases.viewPrivate, with one email message the email module found (case number, subject/description, follow-ups, then the messages' cases and follow-ups)
-- built by cases/search.ts searchCases (rendered by npm run sql:snapshots; do not edit)

-- statement 1 of 6
-- prepared as: (unnamed: planned for its values)
-- $1 = '100123'
SELECT c.id, c.case_number, c.subject, c.status, c.is_open, c.visibility, c.opened_at AS at, true AS in_subject, '' AS excerpt FROM cases c
WHERE c.case_number = $1::bigint AND c.visibility = 'public';

-- statement 2 of 6
-- prepared as: (unnamed: planned for its values)
-- $1 = '100123'
-- $2 = '100123'
-- $3 = 20
SELECT c.id, c.case_number, c.subject, c.status, c.is_open, c.visibility, c.opened_at AS at,
  to_tsvector('english'::regconfig, c.subject) @@ websearch_to_tsquery('english', $1) AS in_subject,
  substr(c.description, greatest(1, strpos(lower(c.description), $2) - 80), 320) AS excerpt
FROM cases c
WHERE c.search @@ websearch_to_tsquery('english', $1) AND c.visibility = 'public'
ORDER BY c.opened_at DESC, c.id DESC LIMIT $3;

-- statement 3 of 6
-- prepared as: (unnamed: planned for its values)
-- $1 = 'case_follow_ups_text_idx'
SELECT s.most_common_elems::text::text[] AS elems, s.most_common_elem_freqs::float8[] AS freqs,
     (SELECT c.reltuples::float8 FROM pg_class c WHERE c.relname = $1 LIMIT 1) AS rows
FROM pg_stats s WHERE s.schemaname = current_schema() AND s.tablename = $1;

-- statement 4 of 6
-- prepared as: (unnamed: planned for its values)
-- $1 = '100123'
-- $2 = '100123'
-- $3 = 20
SELECT c.id, c.case_number, c.subject, c.status, c.is_open, c.visibility, f.created_at AS at, false AS in_subject, substr(f.body, greatest(1, strpos(lower(f.body), $2) - 80), 320) AS excerpt
FROM case_follow_ups f JOIN cases c ON c.id = f.case_id
WHERE to_tsvector('simple'::regconfig, f.body) @@ websearch_to_tsquery('simple', $1)
   AND c.visibility = 'public'
ORDER BY (f.seq + 0) DESC LIMIT $3;

-- statement 5 of 6
-- prepared as: (unnamed: planned for its values)
-- $1 = ["00000000-0000-4000-8000-000000000001"]
SELECT c.id, c.case_number, c.subject, c.status, c.is_open, c.visibility, c.opened_at AS at, false AS in_subject, '' AS excerpt
FROM cases c WHERE c.id = ANY((SELECT $1::uuid[])::uuid[]) AND c.visibility = 'public';

-- statement 6 of 6
-- prepared as: (unnamed: planned for its values)
-- $1 = ["00000000-0000-4000-8000-000000000001"]
SELECT f.id, f.case_id FROM case_follow_ups f WHERE f.id = ANY((SELECT $1::uuid[])::uuid[]);
