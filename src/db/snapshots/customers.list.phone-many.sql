-- customers.list.phone-many: concurrent GET /api/v1/customers?phone= first pages, coalesced into one statement
-- built by customers/search.ts listByE164Many (rendered by npm run sql:snapshots; do not edit)

-- prepared as: customers.listByE164Many
-- $1 = ["+14155550100","+442079460958"]
-- $2 = 51
WITH hits AS (
     SELECT match_key, id FROM (
       SELECT p.e164 AS match_key, c.id, row_number() OVER (PARTITION BY p.e164 ORDER BY c.sort_name, c.id) AS n
       FROM (SELECT DISTINCT e164, customer_id FROM customer_phones WHERE e164 = ANY((SELECT $1::text[])::text[])) p
       JOIN customers c ON c.id = p.customer_id
     ) ranked WHERE n <= $2
   )
   SELECT h.match_key, c.id, c.account_number, c.first_name, c.last_name, c.company, c.email, c.notes, c.vip,
c.draft, c.primary_address, c.secondary_address, c.custom_fields, c.tags, c.version, c.created_at, c.updated_at,
(SELECT coalesce(json_agg(json_build_object('type', p.type, 'number', p.raw, 'e164', p.e164,
  'extension', p.extension, 'valid', p.valid) ORDER BY p.position), '[]'::json)
FROM customer_phones p WHERE p.customer_id = c.id) AS phones, c.sort_name AS sort_key, c.sort_name
   FROM hits h JOIN customers c ON c.id = h.id
   ORDER BY h.match_key, c.sort_name, c.id;
