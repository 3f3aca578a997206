-- customers.search.email: GET /api/v1/customers?q=ada@example.com
-- built by customers/search.ts buildListQuery (rendered by npm run sql:snapshots; do not edit)

-- prepared as: customers.list.Nl1RauEogfOvnXoCTb0T
-- $1 = 200
-- $2 = 'ada@example.com'
-- $3 = 'ada@example.con'
-- $4 = 'ada@example.com'
-- $5 = 'ada@example.con'
-- $6 = 51
WITH qm(id, score, sort_name) AS ((SELECT id, 1::float8, sort_name FROM customers WHERE email_key >= $2 AND email_key < $3
        ORDER BY email_key LIMIT $1)
 UNION ALL (SELECT id, 1::float8, sort_name FROM customers WHERE sort_name >= $4 AND sort_name < $5
        ORDER BY sort_name, id LIMIT $1)),
qb AS (SELECT id, max(score) AS score, min(sort_name) AS sort_name FROM qm GROUP BY id)
    SELECT c.id, c.account_number, c.first_name, c.last_name, c.company, c.email, c.notes, c.vip,
  c.draft, c.primary_address, c.secondary_address, c.custom_fields, c.tags, c.version, c.created_at, c.updated_at,
  (SELECT coalesce(json_agg(json_build_object('type', p.type, 'number', p.raw, 'e164', p.e164,
    'extension', p.extension, 'valid', p.valid) ORDER BY p.position), '[]'::json)
  FROM customer_phones p WHERE p.customer_id = c.id) AS phones, k.sort_key, k.sort_name FROM (SELECT qb.id, qb.score AS sort_key, qb.sort_name FROM qb

    ORDER BY qb.score DESC, qb.sort_name, qb.id LIMIT $6) k JOIN customers c ON c.id = k.id
    ORDER BY k.sort_key DESC, k.sort_name, k.id;
