-- cases.customer.nth: GET /api/v1/customers/{id}/cases?position=3 (the customer record's case pager)
-- built by cases/store.ts customerCaseAt (rendered by npm run sql:snapshots; do not edit)

-- prepared as: (unnamed: planned for its values)
-- $1 = '00000000-0000-4000-8000-000000000001'
-- $2 = 2
SELECT c.id, c.case_number, c.customer_id, c.subject, c.description, c.status, c.is_open, c.priority, c.severity, c.visibility, c.owner_id, c.channel, c.opened_at, c.closed_at, c.custom_fields, c.tags, c.version, c.created_at, c.updated_at FROM cases c WHERE c.customer_id = $1
ORDER BY c.opened_at DESC, c.id DESC OFFSET $2 LIMIT 1;
