-- The cases rollups (migration 1620) for inserts and deletes: once per
-- statement over its transition table, summed per rollup row, instead of one
-- upsert per case. A bulk insert (an import, 20,000 cases in one statement)
-- cost about 1.5 times as long with the row trigger (bench/RESULTS.md,
-- "Reports"). Updates keep the row trigger: its WHEN clause skips the updates
-- that move no counted column, which a statement trigger cannot.
DROP TRIGGER cases_rollups ON cases;

CREATE FUNCTION sb_case_rollups_statement() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delta integer := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
BEGIN
  INSERT INTO case_rollups AS r (kind, slot, channel, priority, severity, status, is_open, owner_id, visibility,
                                 cases, one_response, reopened)
  SELECT x.kind, x.slot, x.channel, x.priority, x.severity, x.status, x.is_open, x.owner_id, x.visibility,
         sum(x.cases)::int, sum(x.one_response)::int, sum(x.reopened)::int
  FROM (SELECT 'opened' AS kind, date_bin('15 minutes', c.opened_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS slot,
               c.channel, c.priority, c.severity, c.status, c.is_open, c.owner_id, c.visibility,
               delta AS cases, 0 AS one_response, 0 AS reopened
        FROM changed_cases c WHERE c.opened_at IS NOT NULL
        UNION ALL
        SELECT 'closed', date_bin('15 minutes', c.closed_at, TIMESTAMPTZ '2000-01-01 00:00:00+00'),
               c.channel, c.priority, c.severity, c.status, c.is_open, c.owner_id, c.visibility, delta,
               CASE WHEN c.staff_responses = 1 THEN delta ELSE 0 END, CASE WHEN c.ever_reopened THEN delta ELSE 0 END
        FROM changed_cases c WHERE c.closed_at IS NOT NULL) x
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
  ON CONFLICT (kind, slot, channel, priority, severity, status, is_open, owner_id, visibility) DO UPDATE
    SET cases = r.cases + EXCLUDED.cases, one_response = r.one_response + EXCLUDED.one_response,
        reopened = r.reopened + EXCLUDED.reopened;
  -- Rows this statement brought to zero in every count (see sb_case_rollup_add).
  DELETE FROM case_rollups r
  WHERE r.cases = 0 AND r.one_response = 0 AND r.reopened = 0
    AND (r.kind, r.slot) IN (
      SELECT 'opened', date_bin('15 minutes', c.opened_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') FROM changed_cases c
      UNION
      SELECT 'closed', date_bin('15 minutes', c.closed_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') FROM changed_cases c
      WHERE c.closed_at IS NOT NULL);
  RETURN NULL;
END
$$;
CREATE TRIGGER cases_rollups_insert AFTER INSERT ON cases REFERENCING NEW TABLE AS changed_cases
  FOR EACH STATEMENT EXECUTE FUNCTION sb_case_rollups_statement();
CREATE TRIGGER cases_rollups_delete AFTER DELETE ON cases REFERENCING OLD TABLE AS changed_cases
  FOR EACH STATEMENT EXECUTE FUNCTION sb_case_rollups_statement();
