-- screen-pop.phone: GET /api/v1/lookup?phone=(415) 555-0100 (a batch of one; coalesced calls send more numbers, same text)
-- built by customers/screen-pop.ts lookupMatchesByPhone (rendered by npm run sql:snapshots; do not edit)

-- prepared as: customers.lookup.phoneMany
-- $1 = 20
-- $2 = 'public'
-- $3 = 5
-- $4 = 3
-- $5 = null
-- $6 = ["+14155550100"]
-- $7 = ["0010555514"]
-- $8 = ["0010555,00105555,001055551,0010555514,00105555141"]
WITH k AS (
     SELECT n::text AS match_key, e164, tail, stored
     FROM unnest((SELECT $6::text[])::text[], (SELECT $7::text[])::text[], (SELECT $8::text[])::text[])
          WITH ORDINALITY AS k(e164, tail, stored, n)
   ),
   exact AS (
     SELECT k.match_key, c.id, c.account_number, c.first_name, c.last_name, c.company, c.email, c.vip, c.draft, c.sort_name,
NULL::uuid AS case_id FROM k
     JOIN (SELECT DISTINCT p.e164, p.customer_id FROM customer_phones p
           WHERE p.e164 = ANY((SELECT $6::text[])::text[])) p ON p.e164 = k.e164
     JOIN customers c ON c.id = p.customer_id AND NOT c.draft
   ),
   tail_keys AS MATERIALIZED (
     SELECT k.* FROM k WHERE NOT EXISTS (SELECT 1 FROM exact e WHERE e.match_key = k.match_key)
   ),
   tail AS (
     SELECT DISTINCT ON (t.match_key, c.id) t.match_key, c.id, c.account_number, c.first_name, c.last_name, c.company, c.email, c.vip, c.draft, c.sort_name,
NULL::uuid AS case_id FROM tail_keys t
     CROSS JOIN LATERAL (SELECT p.customer_id FROM customer_phones p
       WHERE p.digits_rev >= t.tail AND p.digits_rev < t.tail || ':'
       UNION ALL
       SELECT p.customer_id FROM customer_phones p WHERE p.digits_rev = ANY(string_to_array(t.stored, ','))
       LIMIT 1000) p
     JOIN customers c ON c.id = p.customer_id AND NOT c.draft
   ),
   picked AS (
     SELECT * FROM (
       SELECT m.*, row_number() OVER (PARTITION BY m.match_key ORDER BY m.sort_name, m.id) AS n
       FROM (SELECT * FROM exact UNION ALL SELECT * FROM tail) m
     ) ranked WHERE n <= $1
   )
   SELECT c.match_key, c.id, c.account_number, c.first_name, c.last_name, c.company, c.email, c.vip, c.draft,
     (SELECT json_build_object('id', k.id, 'caseNumber', k.case_number, 'subject', k.subject, 'status', k.status,
               'isOpen', k.is_open, 'priority', k.priority, 'openedAt', k.opened_at)
        FROM cases k WHERE k.id = c.case_id AND $2 <> 'none' AND (k.visibility = 'public' OR $2 = 'all')) AS matched_case,
     CASE WHEN $2 <> 'none' THEN (SELECT count(*)::int FROM (SELECT 1 FROM cases k
        WHERE k.customer_id = c.id AND k.is_open AND (k.visibility = 'public' OR $2 = 'all') LIMIT 1000) n) END AS open_cases_count,
     CASE WHEN $2 <> 'none' THEN (SELECT coalesce(json_agg(json_build_object('id', k.id, 'caseNumber', k.case_number,
               'subject', k.subject, 'status', k.status, 'isOpen', k.is_open, 'priority', k.priority,
               'openedAt', k.opened_at) ORDER BY k.opened_at DESC, k.id DESC), '[]'::json)
        FROM (SELECT k.* FROM cases k WHERE k.customer_id = c.id AND k.is_open AND (k.visibility = 'public' OR $2 = 'all')
              ORDER BY k.opened_at DESC, k.id DESC LIMIT $3) k) END AS open_cases,
     (SELECT coalesce(json_agg(json_build_object('id', i.id, 'channel', i.channel, 'direction', i.direction,
               'from', i.from_address, 'to', i.to_address, 'state', i.state, 'disposition', i.disposition,
               'startedAt', i.started_at, 'notes', left(i.notes, 200)) ORDER BY i.started_at DESC, i.id DESC),
               '[]'::json)
        FROM (SELECT i.* FROM interactions i WHERE i.customer_id = c.id AND i.id IS DISTINCT FROM $5::uuid
              ORDER BY i.started_at DESC, i.id DESC LIMIT $4) i) AS recent_interactions
   FROM picked c ORDER BY c.match_key, c.sort_name, c.id;
