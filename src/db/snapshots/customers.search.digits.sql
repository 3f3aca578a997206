-- customers.search.digits: GET /api/v1/customers?q=555 0100
-- built by customers/search.ts buildListQuery (rendered by npm run sql:snapshots; do not edit)

-- prepared as: customers.list.3cCn70NutoaZNfqXCRJW
-- $1 = 200
-- $2 = '0010555'
-- $3 = '0010556'
-- $4 = 51
WITH qm(id, score, sort_name) AS ((SELECT p.customer_id, 1::float8, c.sort_name FROM customer_phones p JOIN customers c ON c.id = p.customer_id
        WHERE p.digits_rev >= $2 AND p.digits_rev < $3 ORDER BY p.digits_rev LIMIT $1)),
qb AS (SELECT id, max(score) AS score, min(sort_name) AS sort_name FROM qm GROUP BY id)
    SELECT c.id, c.account_number, c.first_name, c.last_name, c.company, c.email, c.notes, c.vip,
  c.draft, c.primary_address, c.secondary_address, c.custom_fields, c.tags, c.version, c.created_at, c.updated_at,
  (SELECT coalesce(json_agg(json_build_object('type', p.type, 'number', p.raw, 'e164', p.e164,
    'extension', p.extension, 'valid', p.valid) ORDER BY p.position), '[]'::json)
  FROM customer_phones p WHERE p.customer_id = c.id) AS phones, k.sort_key, k.sort_name FROM (SELECT qb.id, qb.score AS sort_key, qb.sort_name FROM qb

    ORDER BY qb.score DESC, qb.sort_name, qb.id LIMIT $4) k JOIN customers c ON c.id = k.id
    ORDER BY k.sort_key DESC, k.sort_name, k.id;
