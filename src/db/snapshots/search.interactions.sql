-- search.interactions: GET /api/v1/search?q=555 0199 (interactions: by number digits, then by notes)
-- built by interactions/search.ts searchInteractions (rendered by npm run sql:snapshots; do not edit)

-- statement 1 of 3
-- prepared as: (unnamed: planned for its values)
-- $1 = '%5550199%'
-- $2 = 20
SELECT id, channel, direction, from_address, to_address, customer_id, case_id, started_at, '' AS excerpt FROM interactions
    WHERE (regexp_replace(coalesce(from_address, ''), '[^0-9]', '', 'g') || ' ' ||
regexp_replace(coalesce(to_address, ''), '[^0-9]', '', 'g')) LIKE $1 ORDER BY started_at DESC, id DESC LIMIT $2;

-- statement 2 of 3
-- prepared as: (unnamed: planned for its values)
-- $1 = 'interactions'
-- $2 = 'search'
SELECT s.most_common_elems::text::text[] AS elems, s.most_common_elem_freqs::float8[] AS freqs,
     (SELECT c.reltuples::float8 FROM pg_class c WHERE c.relname = $1 LIMIT 1) AS rows
FROM pg_stats s WHERE s.schemaname = current_schema() AND s.tablename = $1
 AND s.attname = $2;

-- statement 3 of 3
-- prepared as: (unnamed: planned for its values)
-- $1 = '555'
-- $2 = '555'
-- $3 = '0199:*'
SELECT id, channel, direction, from_address, to_address, customer_id, case_id, started_at, substr(coalesce(notes, ''), greatest(1, strpos(lower(coalesce(notes, '')), $1) - 80), 320) AS excerpt FROM interactions
WHERE search @@ (websearch_to_tsquery('simple', $2) && to_tsquery('simple', $3))
ORDER BY (started_at + interval '0 seconds') DESC, id DESC LIMIT 20;
