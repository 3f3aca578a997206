-- customers.list.phone: GET /api/v1/customers?phone=(415) 555-0100: the exact E.164 statement, then (nobody has it exactly) the general one with the last-digits tier
-- built by customers/search.ts phoneOnlyExact, then buildListQuery (rendered by npm run sql:snapshots; do not edit)

-- statement 1 of 2
-- prepared as: customers.listByE164
-- $1 = '+14155550100'
-- $2 = 51
SELECT c.id, c.account_number, c.first_name, c.last_name, c.company, c.email, c.notes, c.vip,
c.draft, c.primary_address, c.secondary_address, c.custom_fields, c.tags, c.version, c.created_at, c.updated_at,
(SELECT coalesce(json_agg(json_build_object('type', p.type, 'number', p.raw, 'e164', p.e164,
  'extension', p.extension, 'valid', p.valid) ORDER BY p.position), '[]'::json)
FROM customer_phones p WHERE p.customer_id = c.id) AS phones, c.sort_name AS sort_key, c.sort_name FROM customers c
       WHERE c.id IN (SELECT p.customer_id FROM customer_phones p WHERE p.e164 = $1)
       ORDER BY c.sort_name, c.id LIMIT $2;

-- statement 2 of 2
-- prepared as: customers.list.4qMKOV2NXXbWk9pr5JER
-- $1 = '+14155550100'
-- $2 = '0010555514'
-- $3 = '0010555515'
-- $4 = ["0010555","00105555","001055551","0010555514","00105555141"]
-- $5 = 51
WITH ph AS (SELECT customer_id, 1 AS tier FROM customer_phones WHERE e164 = $1
      UNION ALL SELECT customer_id, 2 FROM customer_phones
      WHERE (digits_rev >= $2 AND digits_rev < $3)
         OR digits_rev = ANY((SELECT $4::text[])::text[]))
  SELECT c.id, c.account_number, c.first_name, c.last_name, c.company, c.email, c.notes, c.vip,
c.draft, c.primary_address, c.secondary_address, c.custom_fields, c.tags, c.version, c.created_at, c.updated_at,
(SELECT coalesce(json_agg(json_build_object('type', p.type, 'number', p.raw, 'e164', p.e164,
  'extension', p.extension, 'valid', p.valid) ORDER BY p.position), '[]'::json)
FROM customer_phones p WHERE p.customer_id = c.id) AS phones, k.sort_key, k.sort_name FROM (SELECT c.id, c.sort_name AS sort_key, c.sort_name FROM customers c
  WHERE c.id IN (SELECT customer_id FROM ph WHERE tier = (SELECT min(tier) FROM ph))
  ORDER BY c.sort_name, c.id LIMIT $5) k JOIN customers c ON c.id = k.id
  ORDER BY k.sort_key, k.id;
