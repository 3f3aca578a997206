-- Rollups of the cases report (docs/reports.md, "Speed"): per quarter-hour slot
-- and per combination of the report's filter columns, how many cases were
-- opened in it, and how many closed in it (with those closed having exactly one
-- staff response, and those reopened before). Part of the cases module: kept by
-- triggers on cases in the changing statement's own transaction, so every path
-- that moves a counted column (a status change, a reassignment, a priority or
-- privacy change, a reopen, the follow-up trigger's staff responses, a status
-- moved to the other category, a merge, an erasure, a deletion) moves the
-- figures with it. The reports module reads it, as it reads cases.
--
-- The slot is a quarter of an hour (UTC): every UTC offset in use is a multiple
-- of 15 minutes, so a viewer's local midnight is always a slot boundary and a
-- day, week or month bucket in any zone is a whole number of slots.

-- Whether the case has ever been reopened (any row in case_reopens): a column,
-- so the rollup trigger sees the old and the new value of the fact it counts.
ALTER TABLE cases ADD COLUMN ever_reopened boolean NOT NULL DEFAULT false;
UPDATE cases c SET ever_reopened = true WHERE EXISTS (SELECT 1 FROM case_reopens r WHERE r.case_id = c.id);

CREATE FUNCTION sb_case_ever_reopened() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE cases SET ever_reopened = true WHERE id = NEW.case_id AND NOT ever_reopened;
  ELSE
    UPDATE cases SET ever_reopened = false
      WHERE id = OLD.case_id AND ever_reopened AND NOT EXISTS (SELECT 1 FROM case_reopens r WHERE r.case_id = OLD.case_id);
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER case_reopens_ever_reopened AFTER INSERT OR DELETE ON case_reopens
  FOR EACH ROW EXECUTE FUNCTION sb_case_ever_reopened();

-- kind 'opened': slot of opened_at; kind 'closed': slot of closed_at (cases
-- with a closed_at only). The other columns are the case's current values.
CREATE TABLE case_rollups (
  kind text NOT NULL CHECK (kind IN ('opened', 'closed')),
  slot timestamptz NOT NULL,
  channel text NOT NULL,
  priority text NOT NULL,
  severity text NOT NULL,
  status text NOT NULL,
  is_open boolean NOT NULL,
  owner_id uuid,
  visibility text NOT NULL,
  cases integer NOT NULL,
  -- closed only: with exactly one staff response (first-contact resolution), reopened before
  one_response integer NOT NULL,
  reopened integer NOT NULL
);
CREATE UNIQUE INDEX case_rollups_key_idx ON case_rollups
  (kind, slot, channel, priority, severity, status, is_open, owner_id, visibility) NULLS NOT DISTINCT;

-- Adds delta (1 or -1) to the row of one kind for case c, removing a row that
-- reaches zero in every count. Within a transaction a row may pass through
-- other values (a nested update, e.g. the reopen log's, is applied before the
-- outer one), so a row is removed only when all three counts are zero.
CREATE FUNCTION sb_case_rollup_add(p_kind text, p_at timestamptz, c cases, delta integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_slot timestamptz;
  v_cases integer;
  v_one integer;
  v_reopened integer;
BEGIN
  IF p_at IS NULL THEN RETURN; END IF;
  v_slot := date_bin('15 minutes', p_at, TIMESTAMPTZ '2000-01-01 00:00:00+00');
  INSERT INTO case_rollups AS r (kind, slot, channel, priority, severity, status, is_open, owner_id, visibility,
                                 cases, one_response, reopened)
  VALUES (p_kind, v_slot, c.channel, c.priority, c.severity, c.status, c.is_open, c.owner_id, c.visibility, delta,
          CASE WHEN p_kind = 'closed' AND c.staff_responses = 1 THEN delta ELSE 0 END,
          CASE WHEN p_kind = 'closed' AND c.ever_reopened THEN delta ELSE 0 END)
  ON CONFLICT (kind, slot, channel, priority, severity, status, is_open, owner_id, visibility) DO UPDATE
    SET cases = r.cases + EXCLUDED.cases, one_response = r.one_response + EXCLUDED.one_response,
        reopened = r.reopened + EXCLUDED.reopened
  RETURNING r.cases, r.one_response, r.reopened INTO v_cases, v_one, v_reopened;
  IF v_cases = 0 AND v_one = 0 AND v_reopened = 0 THEN
    DELETE FROM case_rollups r
    WHERE r.kind = p_kind AND r.slot = v_slot AND r.channel = c.channel AND r.priority = c.priority
      AND r.severity = c.severity AND r.status = c.status AND r.is_open = c.is_open
      AND r.owner_id IS NOT DISTINCT FROM c.owner_id AND r.visibility = c.visibility
      AND r.cases = 0 AND r.one_response = 0 AND r.reopened = 0;
  END IF;
END
$$;

CREATE FUNCTION sb_case_rollups() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  same_dims boolean := false;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    same_dims := (OLD.channel, OLD.priority, OLD.severity, OLD.status, OLD.is_open, OLD.owner_id, OLD.visibility)
                 IS NOT DISTINCT FROM
                 (NEW.channel, NEW.priority, NEW.severity, NEW.status, NEW.is_open, NEW.owner_id, NEW.visibility);
  END IF;
  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND NOT (same_dims AND OLD.opened_at = NEW.opened_at)) THEN
    PERFORM sb_case_rollup_add('opened', OLD.opened_at, OLD, -1);
  END IF;
  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND NOT (same_dims
      AND OLD.closed_at IS NOT DISTINCT FROM NEW.closed_at
      AND (OLD.staff_responses = 1) = (NEW.staff_responses = 1) AND OLD.ever_reopened = NEW.ever_reopened)) THEN
    PERFORM sb_case_rollup_add('closed', OLD.closed_at, OLD, -1);
  END IF;
  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NOT (same_dims AND OLD.opened_at = NEW.opened_at)) THEN
    PERFORM sb_case_rollup_add('opened', NEW.opened_at, NEW, 1);
  END IF;
  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NOT (same_dims
      AND OLD.closed_at IS NOT DISTINCT FROM NEW.closed_at
      AND (OLD.staff_responses = 1) = (NEW.staff_responses = 1) AND OLD.ever_reopened = NEW.ever_reopened)) THEN
    PERFORM sb_case_rollup_add('closed', NEW.closed_at, NEW, 1);
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER cases_rollups AFTER INSERT OR DELETE ON cases FOR EACH ROW EXECUTE FUNCTION sb_case_rollups();
-- Only updates that move a counted column (most updates, e.g. a subject edit, skip the function).
CREATE TRIGGER cases_rollups_update AFTER UPDATE ON cases FOR EACH ROW
  WHEN ((OLD.opened_at, OLD.closed_at, OLD.channel, OLD.priority, OLD.severity, OLD.status, OLD.is_open,
         OLD.owner_id, OLD.visibility, OLD.staff_responses = 1, OLD.ever_reopened)
        IS DISTINCT FROM
        (NEW.opened_at, NEW.closed_at, NEW.channel, NEW.priority, NEW.severity, NEW.status, NEW.is_open,
         NEW.owner_id, NEW.visibility, NEW.staff_responses = 1, NEW.ever_reopened))
  EXECUTE FUNCTION sb_case_rollups();

INSERT INTO case_rollups (kind, slot, channel, priority, severity, status, is_open, owner_id, visibility,
                          cases, one_response, reopened)
SELECT 'opened', date_bin('15 minutes', opened_at, TIMESTAMPTZ '2000-01-01 00:00:00+00'), channel, priority, severity,
       status, is_open, owner_id, visibility, count(*), 0, 0
FROM cases GROUP BY 2, 3, 4, 5, 6, 7, 8, 9
UNION ALL
SELECT 'closed', date_bin('15 minutes', closed_at, TIMESTAMPTZ '2000-01-01 00:00:00+00'), channel, priority, severity,
       status, is_open, owner_id, visibility, count(*), count(*) FILTER (WHERE staff_responses = 1),
       count(*) FILTER (WHERE ever_reopened)
FROM cases WHERE closed_at IS NOT NULL GROUP BY 2, 3, 4, 5, 6, 7, 8, 9;
