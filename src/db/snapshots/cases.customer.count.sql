-- cases.customer.count: the customer record's case count (up to 10,000)
-- built by cases/store.ts countCustomerCases (rendered by npm run sql:snapshots; do not edit)

-- prepared as: (unnamed: planned for its values)
-- $1 = '00000000-0000-4000-8000-000000000001'
-- $2 = 10000
SELECT count(*) AS n FROM (SELECT 1 FROM cases c WHERE c.customer_id = $1 LIMIT $2) s;
