-- customers.search.one-word: GET /api/v1/customers?q=smith (relevance)
-- built by customers/search.ts buildListQuery (rendered by npm run sql:snapshots; do not edit)

-- prepared as: customers.list.cybq3t7GkELcIVq-TnGH
-- $1 = 200
-- $2 = 'smith'
-- $3 = 'smiti'
-- $4 = 'smith'
-- $5 = 'smiti'
-- $6 = 'smith'
-- $7 = 'smiti'
-- $8 = 'smith'
-- $9 = ["smith","mith","sith","smth","smih","smit"]
-- $10 = 'smith'
-- $11 = 'smiti'
-- $12 = 'smith'
-- $13 = 51
WITH qm(id, score, sort_name) AS ((SELECT id, 1::float8 AS score, sort_name FROM customers WHERE account_number >= $2 AND account_number < $3
        ORDER BY account_number LIMIT $1)
 UNION ALL (SELECT id, 1::float8, sort_name FROM customers WHERE email_key >= $4 AND email_key < $5
        ORDER BY email_key LIMIT $1)
 UNION ALL (SELECT id, 1::float8, sort_name FROM customers WHERE sort_name >= $6 AND sort_name < $7
        ORDER BY sort_name, id LIMIT $1)
 UNION ALL (SELECT c.id, word_similarity($12, c.search_name)::float8, c.sort_name FROM customers c
        WHERE c.name_terms && coalesce(nullif(ARRAY(SELECT term FROM (
          (SELECT term FROM customer_terms WHERE variant = ANY((SELECT $9::text[])::text[]))
          UNION (SELECT term FROM customer_terms WHERE variant >= $10 AND variant < $11 AND variant = term
                 ORDER BY variant LIMIT 30)) u
        ORDER BY term = $8 DESC, similarity(term, $8) DESC, term LIMIT 30), '{}'), ARRAY(SELECT term FROM customer_terms WHERE variant = term AND term % $8
        ORDER BY similarity(term, $8) DESC, term LIMIT 30)) LIMIT $1)),
qb AS (SELECT id, max(score) AS score, min(sort_name) AS sort_name FROM qm GROUP BY id)
    SELECT c.id, c.account_number, c.first_name, c.last_name, c.company, c.email, c.notes, c.vip,
  c.draft, c.primary_address, c.secondary_address, c.custom_fields, c.tags, c.version, c.created_at, c.updated_at,
  (SELECT coalesce(json_agg(json_build_object('type', p.type, 'number', p.raw, 'e164', p.e164,
    'extension', p.extension, 'valid', p.valid) ORDER BY p.position), '[]'::json)
  FROM customer_phones p WHERE p.customer_id = c.id) AS phones, k.sort_key, k.sort_name FROM (SELECT qb.id, qb.score AS sort_key, qb.sort_name FROM qb

    ORDER BY qb.score DESC, qb.sort_name, qb.id LIMIT $13) k JOIN customers c ON c.id = k.id
    ORDER BY k.sort_key DESC, k.sort_name, k.id;
