-- The cases report's coarse rollup (docs/reports.md, "Speed"): the same counts
-- as case_rollups (migration 1620) per quarter-hour slot, but keyed by one
-- filter column at a time instead of all of them together. case_rollups has
-- every filter column in its key, the owner among them, so at the benchmark's
-- shape it holds almost one row per case. A supervisor mostly looks at the
-- whole center or through one filter, and those views need far fewer rows:
--   dim 'all'      : one row per slot and visibility (the unfiltered view)
--   dim 'channel'  : one per slot, visibility and channel
--   dim 'priority' : … and priority
--   dim 'severity' : … and severity
--   dim 'status'   : … and status (with is_open, so `open` / `closed` select too)
-- The columns of the other filters are NULL in a row. Filters this cannot
-- answer (an owner, two filters at once) are read from case_rollups.
-- Each case counts in five rows per kind (one per dim); the reassignment of a
-- case, the most common update, moves none of them (no owner here).

CREATE TABLE case_rollups_coarse (
  dim text NOT NULL CHECK (dim IN ('all', 'channel', 'priority', 'severity', 'status')),
  kind text NOT NULL CHECK (kind IN ('opened', 'closed')),
  slot timestamptz NOT NULL,
  visibility text NOT NULL,
  channel text,
  priority text,
  severity text,
  status text,
  is_open boolean,
  cases integer NOT NULL,
  one_response integer NOT NULL,
  reopened integer NOT NULL
);
-- dim first: a view reads the rows of one dim for a range of slots.
CREATE UNIQUE INDEX case_rollups_coarse_key_idx ON case_rollups_coarse
  (dim, kind, slot, visibility, channel, priority, severity, status, is_open) NULLS NOT DISTINCT;

-- Adds delta (1 or -1) to the five rows of one kind for case c; removes those
-- that reach zero in every count (see sb_case_rollup_add, migration 1620).
CREATE FUNCTION sb_case_rollup_coarse_add(p_kind text, p_at timestamptz, c cases, delta integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_slot timestamptz;
BEGIN
  IF p_at IS NULL THEN RETURN; END IF;
  v_slot := date_bin('15 minutes', p_at, TIMESTAMPTZ '2000-01-01 00:00:00+00');
  INSERT INTO case_rollups_coarse AS r (dim, kind, slot, visibility, channel, priority, severity, status, is_open,
                                        cases, one_response, reopened)
  SELECT d.dim, p_kind, v_slot, c.visibility, d.channel, d.priority, d.severity, d.status, d.is_open, delta,
         CASE WHEN p_kind = 'closed' AND c.staff_responses = 1 THEN delta ELSE 0 END,
         CASE WHEN p_kind = 'closed' AND c.ever_reopened THEN delta ELSE 0 END
  FROM (VALUES ('all', NULL, NULL, NULL, NULL, NULL::boolean),
               ('channel', c.channel, NULL, NULL, NULL, NULL),
               ('priority', NULL, c.priority, NULL, NULL, NULL),
               ('severity', NULL, NULL, c.severity, NULL, NULL),
               ('status', NULL, NULL, NULL, c.status, c.is_open)) d (dim, channel, priority, severity, status, is_open)
  ON CONFLICT (dim, kind, slot, visibility, channel, priority, severity, status, is_open) DO UPDATE
    SET cases = r.cases + EXCLUDED.cases, one_response = r.one_response + EXCLUDED.one_response,
        reopened = r.reopened + EXCLUDED.reopened;
  DELETE FROM case_rollups_coarse r
  WHERE r.dim IN ('all', 'channel', 'priority', 'severity', 'status') AND r.kind = p_kind AND r.slot = v_slot
    AND r.visibility = c.visibility AND r.cases = 0 AND r.one_response = 0 AND r.reopened = 0;
END
$$;

CREATE FUNCTION sb_case_rollups_coarse() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  same_dims boolean := false;
BEGIN
  same_dims := (OLD.channel, OLD.priority, OLD.severity, OLD.status, OLD.is_open, OLD.visibility)
               IS NOT DISTINCT FROM (NEW.channel, NEW.priority, NEW.severity, NEW.status, NEW.is_open, NEW.visibility);
  IF NOT (same_dims AND OLD.opened_at = NEW.opened_at) THEN
    PERFORM sb_case_rollup_coarse_add('opened', OLD.opened_at, OLD, -1);
    PERFORM sb_case_rollup_coarse_add('opened', NEW.opened_at, NEW, 1);
  END IF;
  IF NOT (same_dims AND OLD.closed_at IS NOT DISTINCT FROM NEW.closed_at
          AND (OLD.staff_responses = 1) = (NEW.staff_responses = 1) AND OLD.ever_reopened = NEW.ever_reopened) THEN
    PERFORM sb_case_rollup_coarse_add('closed', OLD.closed_at, OLD, -1);
    PERFORM sb_case_rollup_coarse_add('closed', NEW.closed_at, NEW, 1);
  END IF;
  RETURN NULL;
END
$$;
-- Only updates that move a column counted here (not the owner: a reassignment skips it).
CREATE TRIGGER cases_rollups_coarse_update AFTER UPDATE ON cases FOR EACH ROW
  WHEN ((OLD.opened_at, OLD.closed_at, OLD.channel, OLD.priority, OLD.severity, OLD.status, OLD.is_open,
         OLD.visibility, OLD.staff_responses = 1, OLD.ever_reopened)
        IS DISTINCT FROM
        (NEW.opened_at, NEW.closed_at, NEW.channel, NEW.priority, NEW.severity, NEW.status, NEW.is_open,
         NEW.visibility, NEW.staff_responses = 1, NEW.ever_reopened))
  EXECUTE FUNCTION sb_case_rollups_coarse();

-- Inserts and deletes: once per statement over its transition table (as migration 1621 does for case_rollups).
CREATE FUNCTION sb_case_rollups_coarse_statement() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delta integer := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
BEGIN
  INSERT INTO case_rollups_coarse AS r (dim, kind, slot, visibility, channel, priority, severity, status, is_open,
                                        cases, one_response, reopened)
  SELECT d.dim, x.kind, x.slot, x.visibility, d.channel, d.priority, d.severity, d.status, d.is_open,
         sum(x.cases)::int, sum(x.one_response)::int, sum(x.reopened)::int
  FROM (SELECT 'opened' AS kind, date_bin('15 minutes', c.opened_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS slot,
               c.visibility, c.channel, c.priority, c.severity, c.status, c.is_open,
               delta AS cases, 0 AS one_response, 0 AS reopened
        FROM changed_cases c WHERE c.opened_at IS NOT NULL
        UNION ALL
        SELECT 'closed', date_bin('15 minutes', c.closed_at, TIMESTAMPTZ '2000-01-01 00:00:00+00'),
               c.visibility, c.channel, c.priority, c.severity, c.status, c.is_open, delta,
               CASE WHEN c.staff_responses = 1 THEN delta ELSE 0 END, CASE WHEN c.ever_reopened THEN delta ELSE 0 END
        FROM changed_cases c WHERE c.closed_at IS NOT NULL) x
  CROSS JOIN LATERAL (VALUES ('all', NULL, NULL, NULL, NULL, NULL::boolean),
                             ('channel', x.channel, NULL, NULL, NULL, NULL),
                             ('priority', NULL, x.priority, NULL, NULL, NULL),
                             ('severity', NULL, NULL, x.severity, NULL, NULL),
                             ('status', NULL, NULL, NULL, x.status, x.is_open))
    d (dim, channel, priority, severity, status, is_open)
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
  ON CONFLICT (dim, kind, slot, visibility, channel, priority, severity, status, is_open) DO UPDATE
    SET cases = r.cases + EXCLUDED.cases, one_response = r.one_response + EXCLUDED.one_response,
        reopened = r.reopened + EXCLUDED.reopened;
  DELETE FROM case_rollups_coarse r
  WHERE r.cases = 0 AND r.one_response = 0 AND r.reopened = 0
    AND r.dim IN ('all', 'channel', 'priority', 'severity', 'status')
    AND (r.kind, r.slot) IN (
      SELECT 'opened', date_bin('15 minutes', c.opened_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') FROM changed_cases c
      UNION
      SELECT 'closed', date_bin('15 minutes', c.closed_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') FROM changed_cases c
      WHERE c.closed_at IS NOT NULL);
  RETURN NULL;
END
$$;
CREATE TRIGGER cases_rollups_coarse_insert AFTER INSERT ON cases REFERENCING NEW TABLE AS changed_cases
  FOR EACH STATEMENT EXECUTE FUNCTION sb_case_rollups_coarse_statement();
CREATE TRIGGER cases_rollups_coarse_delete AFTER DELETE ON cases REFERENCING OLD TABLE AS changed_cases
  FOR EACH STATEMENT EXECUTE FUNCTION sb_case_rollups_coarse_statement();

-- The cases present now.
INSERT INTO case_rollups_coarse (dim, kind, slot, visibility, channel, priority, severity, status, is_open,
                                 cases, one_response, reopened)
SELECT d.dim, x.kind, x.slot, x.visibility, d.channel, d.priority, d.severity, d.status, d.is_open,
       sum(x.cases)::int, sum(x.one_response)::int, sum(x.reopened)::int
FROM (SELECT 'opened' AS kind, date_bin('15 minutes', c.opened_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS slot,
             c.visibility, c.channel, c.priority, c.severity, c.status, c.is_open,
             1 AS cases, 0 AS one_response, 0 AS reopened
      FROM cases c
      UNION ALL
      SELECT 'closed', date_bin('15 minutes', c.closed_at, TIMESTAMPTZ '2000-01-01 00:00:00+00'),
             c.visibility, c.channel, c.priority, c.severity, c.status, c.is_open, 1,
             CASE WHEN c.staff_responses = 1 THEN 1 ELSE 0 END, CASE WHEN c.ever_reopened THEN 1 ELSE 0 END
      FROM cases c WHERE c.closed_at IS NOT NULL) x
CROSS JOIN LATERAL (VALUES ('all', NULL, NULL, NULL, NULL, NULL::boolean),
                           ('channel', x.channel, NULL, NULL, NULL, NULL),
                           ('priority', NULL, x.priority, NULL, NULL, NULL),
                           ('severity', NULL, NULL, x.severity, NULL, NULL),
                           ('status', NULL, NULL, NULL, x.status, x.is_open))
  d (dim, channel, priority, severity, status, is_open)
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;
