-- screen-pop.case-number: GET /api/v1/lookup?caseNumber=100123
-- built by customers/screen-pop.ts lookupMatches (rendered by npm run sql:snapshots; do not edit)

-- prepared as: customers.lookup.caseNumber
-- $1 = 20
-- $2 = 'public'
-- $3 = 5
-- $4 = 3
-- $5 = null
-- $6 = 100123
WITH m AS (
  SELECT k.customer_id AS id, k.id AS case_id FROM cases k JOIN customers c ON c.id = k.customer_id
  WHERE k.case_number = $6 AND NOT c.draft AND $2 <> 'none' AND (k.visibility = 'public' OR $2 = 'all')
), picked AS (
   SELECT c.id, c.account_number, c.first_name, c.last_name, c.company, c.email, c.vip, c.draft, c.sort_name,
          m.case_id
   FROM m JOIN customers c ON c.id = m.id ORDER BY c.sort_name, c.id LIMIT $1
 )
 SELECT c.id, c.account_number, c.first_name, c.last_name, c.company, c.email, c.vip, c.draft,
   (SELECT json_build_object('id', k.id, 'caseNumber', k.case_number, 'subject', k.subject, 'status', k.status,
             'isOpen', k.is_open, 'priority', k.priority, 'openedAt', k.opened_at)
      FROM cases k WHERE k.id = c.case_id AND $2 <> 'none' AND (k.visibility = 'public' OR $2 = 'all')) AS matched_case,
   CASE WHEN $2 <> 'none' THEN (SELECT count(*)::int FROM (SELECT 1 FROM cases k
      WHERE k.customer_id = c.id AND k.is_open AND (k.visibility = 'public' OR $2 = 'all') LIMIT 1000) n) END AS open_cases_count,
   CASE WHEN $2 <> 'none' THEN (SELECT coalesce(json_agg(json_build_object('id', k.id, 'caseNumber', k.case_number,
             'subject', k.subject, 'status', k.status, 'isOpen', k.is_open, 'priority', k.priority,
             'openedAt', k.opened_at) ORDER BY k.opened_at DESC, k.id DESC), '[]'::json)
      FROM (SELECT k.* FROM cases k WHERE k.customer_id = c.id AND k.is_open AND (k.visibility = 'public' OR $2 = 'all')
            ORDER BY k.opened_at DESC, k.id DESC LIMIT $3) k) END AS open_cases,
   (SELECT coalesce(json_agg(json_build_object('id', i.id, 'channel', i.channel, 'direction', i.direction,
             'from', i.from_address, 'to', i.to_address, 'state', i.state, 'disposition', i.disposition,
             'startedAt', i.started_at, 'notes', left(i.notes, 200)) ORDER BY i.started_at DESC, i.id DESC),
             '[]'::json)
      FROM (SELECT i.* FROM interactions i WHERE i.customer_id = c.id AND i.id IS DISTINCT FROM $5::uuid
            ORDER BY i.started_at DESC, i.id DESC LIMIT $4) i) AS recent_interactions
 FROM picked c ORDER BY c.sort_name, c.id;
