-- The cases report's backlog (open cases now by status, priority and age;
-- docs/reports.md, "Speed"), kept as counts of open cases per UTC day opened,
-- visibility, status, priority and whether the case has no owner. The report
-- sums whole days into the age bands and reads the cases themselves only for
-- the days a band's bound falls in, so the bands stay exact to the second.
-- It answers the backlog without a filter or with a status and/or priority
-- filter; a channel, severity or owner filter reads the open cases, as before.
-- Part of the cases module, kept by triggers on cases like case_rollups
-- (migration 1620) in the changing statement's transaction.

CREATE TABLE case_backlog (
  opened_on date NOT NULL,
  visibility text NOT NULL,
  status text NOT NULL,
  priority text NOT NULL,
  unassigned boolean NOT NULL,
  cases integer NOT NULL
);
CREATE UNIQUE INDEX case_backlog_key_idx ON case_backlog (opened_on, visibility, status, priority, unassigned);

-- Adds delta (1 or -1) to the row of case c when it is open; removes a row that reaches zero.
CREATE FUNCTION sb_case_backlog_add(c cases, delta integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_day date;
  v_cases integer;
BEGIN
  IF NOT c.is_open OR c.opened_at IS NULL THEN RETURN; END IF;
  v_day := (c.opened_at AT TIME ZONE 'UTC')::date;
  INSERT INTO case_backlog AS r (opened_on, visibility, status, priority, unassigned, cases)
  VALUES (v_day, c.visibility, c.status, c.priority, c.owner_id IS NULL, delta)
  ON CONFLICT (opened_on, visibility, status, priority, unassigned) DO UPDATE SET cases = r.cases + EXCLUDED.cases
  RETURNING r.cases INTO v_cases;
  IF v_cases = 0 THEN
    DELETE FROM case_backlog r
    WHERE r.opened_on = v_day AND r.visibility = c.visibility AND r.status = c.status AND r.priority = c.priority
      AND r.unassigned = (c.owner_id IS NULL) AND r.cases = 0;
  END IF;
END
$$;

CREATE FUNCTION sb_case_backlog() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM sb_case_backlog_add(OLD, -1);
  PERFORM sb_case_backlog_add(NEW, 1);
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
  INSERT INTO case_backlog AS r (opened_on, visibility, status, priority, unassigned, cases)
  SELECT (c.opened_at AT TIME ZONE 'UTC')::date, c.visibility, c.status, c.priority, c.owner_id IS NULL,
         (count(*) * delta)::int
  FROM changed_cases c WHERE c.is_open AND c.opened_at IS NOT NULL
  GROUP BY 1, 2, 3, 4, 5
  ON CONFLICT (opened_on, visibility, status, priority, unassigned) DO UPDATE SET cases = r.cases + EXCLUDED.cases;
  DELETE FROM case_backlog r
  WHERE r.cases = 0
    AND r.opened_on IN (SELECT (c.opened_at AT TIME ZONE 'UTC')::date FROM changed_cases c WHERE c.is_open);
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
