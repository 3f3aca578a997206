-- Repeat callers (docs/reports.md, "Repeat callers: the stored gap"). Part of
-- the interactions module. Each inbound interaction keeps the start of the same
-- caller's previous inbound interaction: the latest inbound one started
-- strictly earlier with the same customer or the same from address (the
-- report's definition of `repeatCallers`). "Called again within N days" is then
-- a comparison of two columns of the row, for any N. Null for an outbound
-- interaction and for a caller's first.
--
-- The writers do not compute it: a trigger only appends the callers a change
-- touched (the customer and from address, before and after, with the start) to
-- interaction_callers_dirty, which has no key, so writers never wait for each
-- other there and cannot deadlock. A fold (src/modules/interactions/repeat.ts,
-- a job every few seconds, one at a time across processes) recomputes those
-- callers' rows from the start on and deletes their entries. Until then a read
-- takes the former per-interaction probe for the rows of a caller listed there,
-- and the stored value for every other row, so it is exact at any moment.
ALTER TABLE interactions ADD COLUMN previous_inbound_at timestamptz;

CREATE TABLE interaction_callers_dirty (
  customer_id uuid,
  from_address text,
  -- The changed interaction's start: the caller's rows before it are unaffected.
  at timestamptz NOT NULL
);
-- A fold deletes every row: vacuumed after every 10,000 dead rows whatever its size (a read scans it whole).
ALTER TABLE interaction_callers_dirty SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000);

-- Inserts and deletes: once per statement over its transition table (a bulk
-- insert pays one small INSERT), one entry per caller with its earliest start.
CREATE FUNCTION sb_interactions_callers_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO interaction_callers_dirty (customer_id, from_address, at)
  SELECT r.customer_id, r.from_address, min(r.started_at)
  FROM changed_interactions r
  WHERE r.direction = 'inbound' AND (r.customer_id IS NOT NULL OR r.from_address IS NOT NULL)
  GROUP BY 1, 2;
  RETURN NULL;
END
$$;

-- Updates of the caller, the start or the direction (a match after the call, an
-- association, a customer merge, an unlink, an erasure, a retimed import): the
-- old and the new caller. The row's own stored value is cleared (a row left with
-- no caller has none; one with a caller is read by the probe until the fold).
-- Skipped by the WHEN clause for every other update (wrap-up, state, the fold's).
CREATE FUNCTION sb_interactions_callers_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO interaction_callers_dirty (customer_id, from_address, at)
  SELECT OLD.customer_id, OLD.from_address, OLD.started_at
  WHERE OLD.direction = 'inbound' AND (OLD.customer_id IS NOT NULL OR OLD.from_address IS NOT NULL)
  UNION ALL
  SELECT NEW.customer_id, NEW.from_address, NEW.started_at
  WHERE NEW.direction = 'inbound' AND (NEW.customer_id IS NOT NULL OR NEW.from_address IS NOT NULL);
  NEW.previous_inbound_at := NULL;
  RETURN NEW;
END
$$;

-- Existing rows: the latest start per customer and per from address up to a
-- microsecond (the resolution of timestamptz) before the row's (strictly
-- earlier), the later of the two. A frame from the partition's start grows
-- row by row, so each pass is one sort and a scan (an EXCLUDE clause would
-- recompute every frame: quadratic in a partition's size).
UPDATE interactions i SET previous_inbound_at = p.prev
FROM (SELECT id, greatest(
        CASE WHEN customer_id IS NOT NULL THEN max(started_at) OVER (
          PARTITION BY customer_id ORDER BY started_at
          RANGE BETWEEN UNBOUNDED PRECEDING AND INTERVAL '1 microsecond' PRECEDING) END,
        CASE WHEN from_address IS NOT NULL THEN max(started_at) OVER (
          PARTITION BY from_address ORDER BY started_at
          RANGE BETWEEN UNBOUNDED PRECEDING AND INTERVAL '1 microsecond' PRECEDING) END) AS prev
      FROM interactions WHERE direction = 'inbound') p
WHERE i.id = p.id AND p.prev IS NOT NULL;

CREATE TRIGGER interactions_callers_insert AFTER INSERT ON interactions REFERENCING NEW TABLE AS changed_interactions
  FOR EACH STATEMENT EXECUTE FUNCTION sb_interactions_callers_statement();
CREATE TRIGGER interactions_callers_delete AFTER DELETE ON interactions REFERENCING OLD TABLE AS changed_interactions
  FOR EACH STATEMENT EXECUTE FUNCTION sb_interactions_callers_statement();
CREATE TRIGGER interactions_callers_update BEFORE UPDATE OF customer_id, from_address, started_at, direction
  ON interactions FOR EACH ROW
  WHEN ((OLD.direction = 'inbound' OR NEW.direction = 'inbound')
        AND (OLD.customer_id IS DISTINCT FROM NEW.customer_id OR OLD.from_address IS DISTINCT FROM NEW.from_address
             OR OLD.started_at <> NEW.started_at OR OLD.direction <> NEW.direction))
  EXECUTE FUNCTION sb_interactions_callers_row();

-- The repeat-caller count of a range reads this index for the callers not
-- waiting for a fold: the inbound interactions that have a previous one, by
-- start, with what the count compares. A new interaction has none until the
-- fold, so a write does not add to it.
CREATE INDEX interactions_repeat_idx ON interactions (started_at)
  INCLUDE (previous_inbound_at, customer_id, from_address)
  WHERE direction = 'inbound' AND previous_inbound_at IS NOT NULL;
