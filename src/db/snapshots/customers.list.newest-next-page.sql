-- customers.list.newest-next-page: GET /api/v1/customers?sort=-created&cursor=… (a next page)
-- built by customers/search.ts buildListQuery (rendered by npm run sql:snapshots; do not edit)

-- prepared as: customers.list.0BAPjQWVGg02wgC_tyhV
-- $1 = '2026-01-01T00:00:00.000000Z'
-- $2 = '00000000-0000-4000-8000-000000000001'
-- $3 = 51
SELECT c.id, c.account_number, c.first_name, c.last_name, c.company, c.email, c.notes, c.vip,
c.draft, c.primary_address, c.secondary_address, c.custom_fields, c.tags, c.version, c.created_at, c.updated_at,
(SELECT coalesce(json_agg(json_build_object('type', p.type, 'number', p.raw, 'e164', p.e164,
  'extension', p.extension, 'valid', p.valid) ORDER BY p.position), '[]'::json)
FROM customer_phones p WHERE p.customer_id = c.id) AS phones, k.sort_key, k.sort_name FROM (SELECT c.id, to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS sort_key, c.sort_name FROM customers c
  WHERE (c.created_at, c.id) < ($1::timestamptz, $2::uuid)
  ORDER BY c.created_at DESC, c.id DESC LIMIT $3) k JOIN customers c ON c.id = k.id
  ORDER BY k.sort_key DESC, k.id DESC;
