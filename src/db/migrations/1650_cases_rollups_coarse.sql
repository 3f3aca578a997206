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
--
-- Writers never update these rows. The triggers on cases only INSERT the
-- changes into case_rollups_coarse_deltas, a table with no unique key, so two
-- writers never wait for each other here (shared rows such as a slot's 'all'
-- row, updated in place by every transaction in that slot, made them take
-- turns and, taken in different orders, deadlock). The cases module's fold
-- (src/modules/cases/rollups.ts) moves the deltas into case_rollups_coarse in
-- one statement under an advisory lock; a read sums both tables, so it is
-- exact whenever it runs.

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
-- The rows a fold brought to zero in every count, which it then removes.
CREATE INDEX case_rollups_coarse_zero_idx ON case_rollups_coarse (slot)
  WHERE cases = 0 AND one_response = 0 AND reopened = 0;

-- Not yet folded: the same columns, one row per change (summed per key within
-- a statement), no key. Only the fold deletes from it.
CREATE TABLE case_rollups_coarse_deltas (
  dim text NOT NULL,
  kind text NOT NULL,
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

-- A fold deletes every delta: vacuumed by the fold itself after a large one, and by autovacuum
-- after every 10,000 dead rows whatever the table's size (a read scans the table whole).
ALTER TABLE case_rollups_coarse_deltas SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000);

-- An update: the old row's contribution taken off, the new one's added, summed
-- per row of the rollup; what cancels out (the 'all' row when only the status
-- changed, the 'opened' rows when only the close time moved) is not written.
CREATE FUNCTION sb_case_rollups_coarse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH c AS (
    SELECT OLD.opened_at, OLD.closed_at, OLD.visibility, OLD.channel, OLD.priority, OLD.severity, OLD.status,
           OLD.is_open, OLD.staff_responses, OLD.ever_reopened, -1 AS delta
    UNION ALL
    SELECT NEW.opened_at, NEW.closed_at, NEW.visibility, NEW.channel, NEW.priority, NEW.severity, NEW.status,
           NEW.is_open, NEW.staff_responses, NEW.ever_reopened, 1)
  INSERT INTO case_rollups_coarse_deltas (dim, kind, slot, visibility, channel, priority, severity, status, is_open,
                                          cases, one_response, reopened)
  SELECT d.dim, x.kind, x.slot, x.visibility, d.channel, d.priority, d.severity, d.status, d.is_open,
         sum(x.cases)::int, sum(x.one_response)::int, sum(x.reopened)::int
  FROM (SELECT 'opened' AS kind, date_bin('15 minutes', c.opened_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS slot,
               c.visibility, c.channel, c.priority, c.severity, c.status, c.is_open,
               c.delta AS cases, 0 AS one_response, 0 AS reopened
        FROM c WHERE c.opened_at IS NOT NULL
        UNION ALL
        SELECT 'closed', date_bin('15 minutes', c.closed_at, TIMESTAMPTZ '2000-01-01 00:00:00+00'),
               c.visibility, c.channel, c.priority, c.severity, c.status, c.is_open, c.delta,
               CASE WHEN c.staff_responses = 1 THEN c.delta ELSE 0 END, CASE WHEN c.ever_reopened THEN c.delta ELSE 0 END
        FROM c WHERE c.closed_at IS NOT NULL) x
  CROSS JOIN LATERAL (VALUES ('all', NULL, NULL, NULL, NULL, NULL::boolean),
                             ('channel', x.channel, NULL, NULL, NULL, NULL),
                             ('priority', NULL, x.priority, NULL, NULL, NULL),
                             ('severity', NULL, NULL, x.severity, NULL, NULL),
                             ('status', NULL, NULL, NULL, x.status, x.is_open))
    d (dim, channel, priority, severity, status, is_open)
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
  HAVING (sum(x.cases), sum(x.one_response), sum(x.reopened)) <> (0, 0, 0);
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
  INSERT INTO case_rollups_coarse_deltas (dim, kind, slot, visibility, channel, priority, severity, status, is_open,
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
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;
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
