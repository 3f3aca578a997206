-- cases.count.view: GET /api/v1/case-views/counts, one view: open, unassigned, not updated for 3 days (public cases only)
-- built by cases/store.ts countCases (rendered by npm run sql:snapshots; do not edit)

-- prepared as: (unnamed: planned for its values)
-- $1 = "2026-12-02T09:00:00.000Z"
-- $2 = 10000
SELECT count(*) AS n FROM (SELECT 1 FROM cases c WHERE c.is_open AND c.owner_id IS NULL AND c.visibility = 'public' AND c.updated_at < $1::timestamptz
LIMIT $2) s;
