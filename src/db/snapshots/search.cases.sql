-- search.cases: GET /api/v1/search?q=100123 by an agent without cases.viewPrivate, with one email message the email module found (case number, subject/description, follow-ups, then the messages' cases and follow-ups)
-- built by cases/search.ts searchCases (rendered by npm run sql:snapshots; do not edit)

-- statement 1 of 8
-- prepared as: (unnamed: planned for its values)
-- $1 = '100123'
SELECT c.id, c.case_number, c.subject, c.status, c.is_open, c.visibility, c.opened_at AS at, true AS in_subject, '' AS excerpt FROM cases c
WHERE c.case_number = $1::bigint AND c.visibility = 'public';

-- statement 2 of 8
-- prepared as: (unnamed: planned for its values)
-- $1 = 'cases'
-- $2 = 'search'
SELECT s.most_common_elems::text::text[] AS elems, s.most_common_elem_freqs::float8[] AS freqs,
     (SELECT c.reltuples::float8 FROM pg_class c WHERE c.relname = $1 LIMIT 1) AS rows
FROM pg_stats s WHERE s.schemaname = current_schema() AND s.tablename = $1
 AND s.attname = $2;

-- statement 3 of 8
-- prepared as: (unnamed: planned for its values)
-- $1 = 'english'
-- $2 = ["100123"]
SELECT w.word, tsvector_to_array(to_tsvector($1::regconfig, w.word)) AS lexemes
FROM unnest($2::text[]) AS w(word);

-- statement 4 of 8
-- prepared as: (unnamed: planned for its values)
-- $1 = '100123'
-- $2 = '100123:*'
SELECT c.id, c.case_number, c.subject, c.status, c.is_open, c.visibility, c.opened_at AS at,
  to_tsvector('english'::regconfig, c.subject) @@ to_tsquery('english', $2) AS in_subject,
  substr(c.description, greatest(1, strpos(lower(c.description), $1) - 80), 320) AS excerpt
FROM cases c
WHERE c.search @@ to_tsquery('english', $2) AND c.visibility = 'public'
ORDER BY (c.opened_at + interval '0 seconds') DESC, c.id DESC LIMIT 20;

-- statement 5 of 8
-- prepared as: (unnamed: planned for its values)
-- $1 = 'case_follow_ups'
-- $2 = 'search'
SELECT s.most_common_elems::text::text[] AS elems, s.most_common_elem_freqs::float8[] AS freqs,
     (SELECT c.reltuples::float8 FROM pg_class c WHERE c.relname = $1 LIMIT 1) AS rows
FROM pg_stats s WHERE s.schemaname = current_schema() AND s.tablename = $1
 AND s.attname = $2;

-- statement 6 of 8
-- prepared as: (unnamed: planned for its values)
-- $1 = '100123'
-- $2 = '100123:*'
SELECT c.id, c.case_number, c.subject, c.status, c.is_open, c.visibility, f.created_at AS at, false AS in_subject, substr(f.body, greatest(1, strpos(lower(f.body), $1) - 80), 320) AS excerpt,
  coalesce((f.interaction ->> 'transcript')::boolean, false) AS transcript
FROM case_follow_ups f JOIN cases c ON c.id = f.case_id
WHERE f.search @@ to_tsquery('simple', $2)
   AND c.visibility = 'public'
ORDER BY (f.seq + 0) DESC LIMIT 20;

-- statement 7 of 8
-- prepared as: (unnamed: planned for its values)
-- $1 = ["00000000-0000-4000-8000-000000000001"]
SELECT c.id, c.case_number, c.subject, c.status, c.is_open, c.visibility, c.opened_at AS at, false AS in_subject, '' AS excerpt
FROM cases c WHERE c.id = ANY((SELECT $1::uuid[])::uuid[]) AND c.visibility = 'public';

-- statement 8 of 8
-- prepared as: (unnamed: planned for its values)
-- $1 = ["00000000-0000-4000-8000-000000000001"]
SELECT f.id, f.case_id FROM case_follow_ups f WHERE f.id = ANY((SELECT $1::uuid[])::uuid[]);
