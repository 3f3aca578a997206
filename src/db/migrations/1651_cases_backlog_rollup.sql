-- The cases report's backlog (open cases now by status, priority and age;
-- docs/reports.md, "Speed"), kept as counts of open cases per UTC day opened,
-- visibility, status, priority and whether the case has no owner. The report
-- sums whole days into the age bands and reads the cases themselves only for
-- the days a band's bound falls in, so the bands stay exact to the second.
-- It answers the backlog without a filter or with a status and/or priority
-- filter; a channel, severity or owner filter reads the open cases, as before.
-- Part of the cases module, kept by triggers on cases in the changing
-- statement's transaction, which only INSERT into case_backlog_deltas (no key:
-- writers never wait for each other there, as for case_rollups_coarse,
-- migration 1650); the fold (src/modules/cases/rollups.ts) moves them into
-- case_backlog, and a read sums both.

CREATE TABLE case_backlog (
  opened_on date NOT NULL,
  visibility text NOT NULL,
  status text NOT NULL,
  priority text NOT NULL,
  unassigned boolean NOT NULL,
  cases integer NOT NULL
);
CREATE UNIQUE INDEX case_backlog_key_idx ON case_backlog (opened_on, visibility, status, priority, unassigned);
-- The rows a fold brought to zero, which it then removes.
CREATE INDEX case_backlog_zero_idx ON case_backlog (opened_on) WHERE cases = 0;

-- Not yet folded: one row per change (summed per key within a statement), no key.
CREATE TABLE case_backlog_deltas (
  opened_on date NOT NULL,
  visibility text NOT NULL,
  status text NOT NULL,
  priority text NOT NULL,
  unassigned boolean NOT NULL,
  cases integer NOT NULL
);

-- A fold deletes every delta: vacuumed by the fold itself after a large one, and by autovacuum
-- after every 10,000 dead rows whatever the table's size (a read scans the table whole).
ALTER TABLE case_backlog_deltas SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000);

-- An update: the old row's contribution (when open) taken off, the new one's added; what cancels out is not written.
CREATE FUNCTION sb_case_backlog() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO case_backlog_deltas (opened_on, visibility, status, priority, unassigned, cases)
  SELECT (c.opened_at AT TIME ZONE 'UTC')::date, c.visibility, c.status, c.priority, c.owner_id IS NULL,
         sum(c.delta)::int
  FROM (SELECT OLD.opened_at, OLD.visibility, OLD.status, OLD.priority, OLD.owner_id, OLD.is_open, -1 AS delta
        UNION ALL
        SELECT NEW.opened_at, NEW.visibility, NEW.status, NEW.priority, NEW.owner_id, NEW.is_open, 1) c
  WHERE c.is_open AND c.opened_at IS NOT NULL
  GROUP BY 1, 2, 3, 4, 5
  HAVING sum(c.delta) <> 0;
  RETURN NULL;
END
$$;
-- Only updates that move a counted column (a close or reopen, a reassignment to or from nobody, …).
CREATE TRIGGER cases_backlog_update AFTER UPDATE ON cases FOR EACH ROW
  WHEN ((OLD.is_open, OLD.opened_at, OLD.visibility, OLD.status, OLD.priority, OLD.owner_id IS NULL)
        IS DISTINCT FROM (NEW.is_open, NEW.opened_at, NEW.visibility, NEW.status, NEW.priority, NEW.owner_id IS NULL)
        AND (OLD.is_open OR NEW.is_open))
  EXECUTE FUNCTION sb_case_backlog();

-- Inserts and deletes: once per statement over the transition table.
CREATE FUNCTION sb_case_backlog_statement() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delta integer := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
BEGIN
  INSERT INTO case_backlog_deltas (opened_on, visibility, status, priority, unassigned, cases)
  SELECT (c.opened_at AT TIME ZONE 'UTC')::date, c.visibility, c.status, c.priority, c.owner_id IS NULL,
         (count(*) * delta)::int
  FROM changed_cases c WHERE c.is_open AND c.opened_at IS NOT NULL
  GROUP BY 1, 2, 3, 4, 5;
  RETURN NULL;
END
$$;
CREATE TRIGGER cases_backlog_insert AFTER INSERT ON cases REFERENCING NEW TABLE AS changed_cases
  FOR EACH STATEMENT EXECUTE FUNCTION sb_case_backlog_statement();
CREATE TRIGGER cases_backlog_delete AFTER DELETE ON cases REFERENCING OLD TABLE AS changed_cases
  FOR EACH STATEMENT EXECUTE FUNCTION sb_case_backlog_statement();

INSERT INTO case_backlog (opened_on, visibility, status, priority, unassigned, cases)
SELECT (opened_at AT TIME ZONE 'UTC')::date, visibility, status, priority, owner_id IS NULL, count(*)::int
FROM cases WHERE is_open AND opened_at IS NOT NULL GROUP BY 1, 2, 3, 4, 5;
