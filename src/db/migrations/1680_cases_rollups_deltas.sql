-- The cases rollups (migrations 1620–1621) without waits between writers
-- (docs/reports.md, "Speed"). Their triggers upserted the rollup rows in place:
-- a transaction moving a case from one row to another (a reassignment: the old
-- owner's row, then the new one's) locked the two rows in that order until its
-- commit, so two transactions moving cases of one quarter hour between the same
-- two rows in opposite directions deadlocked (40P01), and any two touching a
-- row took turns. Now the triggers only INSERT the changes into
-- case_rollups_deltas (no key, so no conflict and no wait); the cases module's
-- fold (src/modules/cases/rollups.ts) moves them into case_rollups in one
-- statement under an advisory lock, and a read sums both tables.

CREATE TABLE case_rollups_deltas (
  kind text NOT NULL,
  slot timestamptz NOT NULL,
  channel text NOT NULL,
  priority text NOT NULL,
  severity text NOT NULL,
  status text NOT NULL,
  is_open boolean NOT NULL,
  owner_id uuid,
  visibility text NOT NULL,
  cases integer NOT NULL,
  one_response integer NOT NULL,
  reopened integer NOT NULL
);
-- A fold deletes every delta: vacuumed by the fold itself after a large one, and by autovacuum
-- after every 10,000 dead rows whatever the table's size (a read scans the table whole).
ALTER TABLE case_rollups_deltas SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000);

-- The rows a fold brought to zero in every count, which it then removes.
CREATE INDEX case_rollups_zero_idx ON case_rollups (slot) WHERE cases = 0 AND one_response = 0 AND reopened = 0;

-- An update: the old row's contribution taken off, the new one's added, summed
-- per rollup row; what cancels out is not written.
CREATE OR REPLACE FUNCTION sb_case_rollups() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH c AS (
    SELECT OLD.opened_at, OLD.closed_at, OLD.channel, OLD.priority, OLD.severity, OLD.status, OLD.is_open,
           OLD.owner_id, OLD.visibility, OLD.staff_responses, OLD.ever_reopened, -1 AS delta
    UNION ALL
    SELECT NEW.opened_at, NEW.closed_at, NEW.channel, NEW.priority, NEW.severity, NEW.status, NEW.is_open,
           NEW.owner_id, NEW.visibility, NEW.staff_responses, NEW.ever_reopened, 1)
  INSERT INTO case_rollups_deltas (kind, slot, channel, priority, severity, status, is_open, owner_id, visibility,
                                   cases, one_response, reopened)
  SELECT x.kind, x.slot, x.channel, x.priority, x.severity, x.status, x.is_open, x.owner_id, x.visibility,
         sum(x.cases)::int, sum(x.one_response)::int, sum(x.reopened)::int
  FROM (SELECT 'opened' AS kind, date_bin('15 minutes', c.opened_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS slot,
               c.channel, c.priority, c.severity, c.status, c.is_open, c.owner_id, c.visibility,
               c.delta AS cases, 0 AS one_response, 0 AS reopened
        FROM c WHERE c.opened_at IS NOT NULL
        UNION ALL
        SELECT 'closed', date_bin('15 minutes', c.closed_at, TIMESTAMPTZ '2000-01-01 00:00:00+00'),
               c.channel, c.priority, c.severity, c.status, c.is_open, c.owner_id, c.visibility, c.delta,
               CASE WHEN c.staff_responses = 1 THEN c.delta ELSE 0 END, CASE WHEN c.ever_reopened THEN c.delta ELSE 0 END
        FROM c WHERE c.closed_at IS NOT NULL) x
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
  HAVING (sum(x.cases), sum(x.one_response), sum(x.reopened)) <> (0, 0, 0);
  RETURN NULL;
END
$$;

-- Inserts and deletes: once per statement over its transition table, summed per rollup row.
CREATE OR REPLACE FUNCTION sb_case_rollups_statement() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delta integer := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
BEGIN
  INSERT INTO case_rollups_deltas (kind, slot, channel, priority, severity, status, is_open, owner_id, visibility,
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
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;
  RETURN NULL;
END
$$;

-- The former per-row upsert (migration 1620) has no caller left.
DROP FUNCTION sb_case_rollup_add(text, timestamptz, cases, integer);
