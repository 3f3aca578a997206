-- Privacy requests (src/modules/privacy, docs/exporting.md "Privacy requests"):
-- the erasure record, and a narrow way through the append-only guards for an
-- erasure. An erasure runs `SET LOCAL switchboard.erasure = 'on'` in its own
-- transaction; only then may history, follow-ups and closed interactions be
-- UPDATEd (never DELETEd), and only for that transaction. Every other update
-- or delete is refused exactly as before.

UPDATE role_privileges SET privileges = array_append(privileges, 'data.export'), version = version + 1
WHERE role = 'admin' AND NOT ('data.export' = ANY (privileges));
UPDATE role_privileges SET privileges = array_append(privileges, 'customers.erase'), version = version + 1
WHERE role = 'admin' AND NOT ('customers.erase' = ANY (privileges));

-- Who erased which customer, when and why: never the erased data itself.
CREATE TABLE privacy_erasures (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  customer_id uuid NOT NULL,
  erased_by uuid REFERENCES users (id) ON DELETE SET NULL,
  erased_by_name text NOT NULL,
  reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
  counts jsonb NOT NULL DEFAULT '{}'::jsonb,
  erased_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX uq__privacy_erasures__customer_id ON privacy_erasures (customer_id);

CREATE FUNCTION sb_erasure_in_progress() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce(current_setting('switchboard.erasure', true), '') = 'on'
$$;

-- history: append-only, except an erasure's updates.
CREATE FUNCTION sb_history_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND sb_erasure_in_progress() THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'P0001';
END
$$;
DROP TRIGGER history_append_only ON history;
CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON history
  FOR EACH ROW EXECUTE FUNCTION sb_history_guard();

-- Follow-ups: as before (a case's delete takes them along), plus an erasure's updates.
CREATE OR REPLACE FUNCTION sb_case_follow_ups_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM cases WHERE id = OLD.case_id) THEN
    RETURN OLD; -- the case itself is being deleted
  END IF;
  IF TG_OP = 'UPDATE' AND sb_erasure_in_progress() THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'case_follow_ups is append-only' USING ERRCODE = 'P0001';
END
$$;

-- Interactions: as before, plus an erasure's updates of a closed one.
CREATE OR REPLACE FUNCTION sb_interactions_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'interactions are never deleted' USING ERRCODE = 'P0001';
  END IF;
  IF sb_erasure_in_progress() THEN
    RETURN NEW;
  END IF;
  IF OLD.state = 'closed' AND (
       NEW.state <> 'closed'
       OR NEW.notes IS DISTINCT FROM OLD.notes
       OR NEW.disposition IS DISTINCT FROM OLD.disposition
       OR NEW.channel <> OLD.channel
       OR NEW.direction <> OLD.direction
       OR NEW.from_address IS DISTINCT FROM OLD.from_address
       OR NEW.to_address IS DISTINCT FROM OLD.to_address
       OR NEW.reference IS DISTINCT FROM OLD.reference
       OR NEW.started_at <> OLD.started_at
       OR NEW.ended_at IS DISTINCT FROM OLD.ended_at
       OR NEW.closed_at IS DISTINCT FROM OLD.closed_at) THEN
    RAISE EXCEPTION 'a closed interaction is read-only' USING ERRCODE = 'P0001';
  END IF;
  RETURN NEW;
END
$$;
