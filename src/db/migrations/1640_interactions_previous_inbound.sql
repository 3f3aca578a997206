-- Repeat callers (docs/reports.md, "The interactions report's stored gap").
-- Part of the interactions module. Each inbound interaction keeps the start of
-- the same caller's previous inbound interaction: the latest inbound one
-- started strictly earlier with the same customer or the same from address
-- (the report's definition of `repeatCallers`). "Called again within N days"
-- is then a comparison of two columns of the row, for any N, instead of two
-- index probes per interaction. Null for an outbound interaction and for a
-- caller's first.
ALTER TABLE interactions ADD COLUMN previous_inbound_at timestamptz;

-- Recomputes previous_inbound_at for the interactions `changed` and for every
-- interaction whose previous one may have moved because a caller's inbound
-- interaction appeared, left or moved at a point (customer, from address, time):
-- per point and key, the caller's next inbound interactions after that time (all
-- of those at the next start, which share it). Later ones are not affected: their
-- previous one is that next one or later. The points are an old and a new
-- version of each changed row, so the next interactions of the old caller and of
-- the new one are both fixed.
--
-- Two transactions that write the same caller's interactions take turns on an
-- advisory lock per key (hashed into 256 buckets, so a bulk statement takes at
-- most 256 locks, in one order), held to commit; each query after it reads what
-- the other committed, so neither computes from a snapshot missing the other's row.
CREATE FUNCTION sb_interactions_refresh_previous(changed uuid[], p_customer uuid[], p_from text[],
                                                 p_at timestamptz[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(1640, b)
  FROM (SELECT DISTINCT hashtext(k) & 255 AS b
        FROM (SELECT 'c' || c::text AS k FROM unnest(p_customer) c WHERE c IS NOT NULL
              UNION SELECT 'f' || f FROM unnest(p_from) f WHERE f IS NOT NULL) keys
        ORDER BY 1) buckets;
  WITH pt AS (SELECT DISTINCT * FROM unnest(p_customer, p_from, p_at) AS p (customer_id, from_address, at)),
  targets AS (
    SELECT unnest(changed) AS id
    UNION
    SELECT j.id FROM pt
      CROSS JOIN LATERAL (SELECT min(k.started_at) AS s FROM interactions k
                          WHERE k.customer_id = pt.customer_id AND k.direction = 'inbound' AND k.started_at > pt.at) n
      JOIN interactions j ON j.customer_id = pt.customer_id AND j.direction = 'inbound' AND j.started_at = n.s
    UNION
    SELECT j.id FROM pt
      CROSS JOIN LATERAL (SELECT min(k.started_at) AS s FROM interactions k
                          WHERE k.from_address = pt.from_address AND k.direction = 'inbound' AND k.started_at > pt.at) n
      JOIN interactions j ON j.from_address = pt.from_address AND j.direction = 'inbound' AND j.started_at = n.s
  ),
  fresh AS (
    SELECT t.id,
           CASE WHEN t.direction = 'inbound' THEN greatest(
             (SELECT max(j.started_at) FROM interactions j
              WHERE j.customer_id = t.customer_id AND j.direction = 'inbound' AND j.started_at < t.started_at),
             (SELECT max(j.started_at) FROM interactions j
              WHERE j.from_address = t.from_address AND j.direction = 'inbound' AND j.started_at < t.started_at))
           END AS prev
    FROM interactions t WHERE t.id IN (SELECT id FROM targets)
  )
  UPDATE interactions i SET previous_inbound_at = f.prev
  FROM fresh f WHERE i.id = f.id AND i.previous_inbound_at IS DISTINCT FROM f.prev;
END
$$;

-- Inserts (a reported interaction, a backdated one, an import) and deletes: once
-- per statement over its transition table, so a bulk insert pays one pass.
CREATE FUNCTION sb_interactions_previous_statement() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids uuid[];
  cs uuid[];
  fs text[];
  ats timestamptz[];
BEGIN
  SELECT array_agg(r.id), array_agg(r.customer_id), array_agg(r.from_address), array_agg(r.started_at)
    INTO ids, cs, fs, ats
  FROM changed_interactions r WHERE r.direction = 'inbound';
  IF ids IS NOT NULL THEN
    PERFORM sb_interactions_refresh_previous(CASE WHEN TG_OP = 'INSERT' THEN ids ELSE '{}' END, cs, fs, ats);
  END IF;
  RETURN NULL;
END
$$;

-- Updates of the caller or the time (a match after the call, an association, a
-- customer merge, a deleted customer unlinked, an erasure, a retimed import):
-- per row, skipped by the WHEN clause when none of the four columns moved (a
-- statement trigger cannot skip them, and most updates are wrap-up and state).
CREATE FUNCTION sb_interactions_previous_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM sb_interactions_refresh_previous(
    ARRAY[NEW.id],
    ARRAY[CASE WHEN OLD.direction = 'inbound' THEN OLD.customer_id END,
          CASE WHEN NEW.direction = 'inbound' THEN NEW.customer_id END],
    ARRAY[CASE WHEN OLD.direction = 'inbound' THEN OLD.from_address END,
          CASE WHEN NEW.direction = 'inbound' THEN NEW.from_address END],
    ARRAY[OLD.started_at, NEW.started_at]);
  RETURN NULL;
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

CREATE TRIGGER interactions_previous_insert AFTER INSERT ON interactions REFERENCING NEW TABLE AS changed_interactions
  FOR EACH STATEMENT EXECUTE FUNCTION sb_interactions_previous_statement();
CREATE TRIGGER interactions_previous_delete AFTER DELETE ON interactions REFERENCING OLD TABLE AS changed_interactions
  FOR EACH STATEMENT EXECUTE FUNCTION sb_interactions_previous_statement();
CREATE TRIGGER interactions_previous_update AFTER UPDATE OF customer_id, from_address, started_at, direction
  ON interactions FOR EACH ROW
  WHEN ((OLD.direction = 'inbound' OR NEW.direction = 'inbound')
        AND (OLD.customer_id IS DISTINCT FROM NEW.customer_id OR OLD.from_address IS DISTINCT FROM NEW.from_address
             OR OLD.started_at <> NEW.started_at OR OLD.direction <> NEW.direction))
  EXECUTE FUNCTION sb_interactions_previous_row();

-- The repeat-caller count of a range (and its list) reads this index alone: the
-- inbound interactions that have a previous one, by start, with what the count
-- compares and the report's filters (channel, agent).
CREATE INDEX interactions_repeat_idx ON interactions (started_at) INCLUDE (previous_inbound_at, channel, agent_id)
  WHERE direction = 'inbound' AND previous_inbound_at IS NOT NULL;
