-- customers.list.account-number: GET /api/v1/customers?accountNumber=AC-1001
-- built by customers/search.ts buildListQuery (rendered by npm run sql:snapshots; do not edit)

-- prepared as: customers.list.lE8Q9eU0jpuhongY-dyU
-- $1 = 'AC-1001'
-- $2 = 51
SELECT c.id, c.account_number, c.first_name, c.last_name, c.company, c.email, c.notes, c.vip,
c.draft, c.primary_address, c.secondary_address, c.custom_fields, c.tags, c.version, c.created_at, c.updated_at,
(SELECT coalesce(json_agg(json_build_object('type', p.type, 'number', p.raw, 'e164', p.e164,
  'extension', p.extension, 'valid', p.valid) ORDER BY p.position), '[]'::json)
FROM customer_phones p WHERE p.customer_id = c.id) AS phones, k.sort_key, k.sort_name FROM (SELECT c.id, c.sort_name AS sort_key, c.sort_name FROM customers c
  WHERE c.account_number = $1
  ORDER BY c.sort_name, c.id LIMIT $2) k JOIN customers c ON c.id = k.id
  ORDER BY k.sort_key, k.id;
