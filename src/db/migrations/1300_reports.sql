-- Reports (docs/reports.md): the reports.view privilege, the reopen log, and
-- the indexes the report queries read through. No rollup tables: the reports
-- are plain queries over the records (bench/reports-bench.ts measures them).

-- Supervisors see reports by default (administrators hold every privilege).
UPDATE role_privileges SET privileges = array_append(privileges, 'reports.view'), version = version + 1
  WHERE role IN ('admin', 'supervisor') AND NOT ('reports.view' = ANY (privileges));

-- Every time a case went from a closed-like status back to an open-like one.
-- Part of the cases module (a fact about a case; the case list filters on it),
-- kept by a trigger so every path writes it: a status change, the reopen
-- policy (a customer's reply), an import. The time is the case's updated_at
-- of that change (the time of the write).
CREATE TABLE case_reopens (
  case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  PRIMARY KEY (case_id, at)
);
CREATE INDEX case_reopens_at_idx ON case_reopens (at);

CREATE FUNCTION sb_case_reopens_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO case_reopens (case_id, at) VALUES (NEW.id, NEW.updated_at) ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;
CREATE TRIGGER cases_reopen_log AFTER UPDATE OF is_open ON cases
  FOR EACH ROW WHEN (NOT OLD.is_open AND NEW.is_open) EXECUTE FUNCTION sb_case_reopens_log();

-- Reopens before this migration, from the history of changes: closedAt went to null.
INSERT INTO case_reopens (case_id, at)
  SELECT h.record_id, h.at FROM history h JOIN cases c ON c.id = h.record_id
  WHERE h.record_type = 'case' AND h.action IN ('update', 'reopen')
    AND h.changes @> '[{"field": "closedAt", "to": null}]'::jsonb
  ON CONFLICT DO NOTHING;

-- Closed per bucket and time to resolution.
CREATE INDEX cases_closed_idx ON cases (closed_at) WHERE closed_at IS NOT NULL;
-- First response: a case's public follow-ups by staff, in time order.
CREATE INDEX case_follow_ups_staff_public_idx ON case_follow_ups (case_id, created_at)
  WHERE author_type = 'user' AND visibility = 'public';
-- Interactions per bucket, hour and channel; repeat callers by number.
CREATE INDEX interactions_started_idx ON interactions (started_at);
CREATE INDEX interactions_inbound_from_idx ON interactions (from_address, started_at)
  WHERE direction = 'inbound' AND from_address IS NOT NULL;
CREATE INDEX interactions_inbound_customer_idx ON interactions (customer_id, started_at)
  WHERE direction = 'inbound' AND customer_id IS NOT NULL;
