-- Interactions and screen pop (docs/product.md I1–I5).
-- Owned by src/modules/interactions; other modules go through InteractionsService.
--
-- An interaction is one call, chat or email the platform reports. It is matched
-- to a customer (and maybe a case) when reported, popped on the agent's console,
-- and kept as the customer's interaction log: never deleted; once closed (the
-- wrap-up period is over) its notes and facts are read-only (A3).
--
-- States: ringing → active → wrap_up (it ended; the agent completes the record
-- until wrap_up_until) → closed. `version` counts the agent's edits (notes,
-- disposition, customer, case); a state change by the platform or the wrap-up
-- job does not bump it, so an agent's open form never goes stale because the
-- call ended.
CREATE TABLE interactions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- The platform's id of the interaction (call id): the same reference is the same interaction.
  reference text COLLATE "C" CHECK (length(reference) BETWEEN 1 AND 200),
  channel text NOT NULL CHECK (channel IN ('phone', 'chat', 'email')),
  direction text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
  from_address text CHECK (length(from_address) <= 320),
  to_address text CHECK (length(to_address) <= 320),
  -- The case number as the platform (or the caller, on an IVR) gave it.
  case_number_given text CHECK (length(case_number_given) <= 40),
  agent_id uuid REFERENCES users (id),
  -- A deleted customer or case leaves the log entry in place, unlinked.
  customer_id uuid REFERENCES customers (id) ON DELETE SET NULL,
  case_id uuid REFERENCES cases (id) ON DELETE SET NULL,
  -- What the automatic match found when the interaction was reported.
  match_result text NOT NULL CHECK (match_result IN ('found', 'not_found', 'multiple')),
  matched_by text CHECK (matched_by IN ('caseNumber', 'phone', 'email')),
  -- The customers a "multiple" match offered the agent (bounded by the lookup limit).
  candidate_ids uuid[] NOT NULL DEFAULT '{}',
  state text NOT NULL CHECK (state IN ('ringing', 'active', 'wrap_up', 'closed')),
  started_at timestamptz NOT NULL DEFAULT now(),
  ended_at timestamptz,
  wrap_up_until timestamptz,
  closed_at timestamptz,
  notes text CHECK (length(notes) <= 20000),
  disposition text CHECK (disposition ~ '^[a-z][a-z0-9_]{0,39}$'),
  -- The latest follow-on call scheduled at wrap-up (a task).
  follow_on_task_id uuid REFERENCES tasks (id) ON DELETE SET NULL,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  created_by uuid,
  updated_by uuid,
  CONSTRAINT interactions_ended_when_done CHECK ((state IN ('wrap_up', 'closed')) = (ended_at IS NOT NULL)),
  CONSTRAINT interactions_wrap_up_until CHECK ((state = 'wrap_up') <= (wrap_up_until IS NOT NULL)),
  CONSTRAINT interactions_closed_at CHECK ((state = 'closed') = (closed_at IS NOT NULL))
);
-- Retries of the same platform interaction find the first one (and a race loses to it).
CREATE UNIQUE INDEX uq__interactions__reference ON interactions (reference) WHERE reference IS NOT NULL;
-- The customer's interaction log, newest first (also "last 3 interactions" of a lookup).
CREATE INDEX interactions_customer_idx ON interactions (customer_id, started_at DESC, id DESC)
  WHERE customer_id IS NOT NULL;
-- An agent's interactions.
CREATE INDEX interactions_agent_idx ON interactions (agent_id, started_at DESC, id DESC) WHERE agent_id IS NOT NULL;
-- The wrap-up closer's due rows.
CREATE INDEX interactions_wrap_up_due_idx ON interactions (wrap_up_until) WHERE state = 'wrap_up';
-- Deleting a case or a task unlinks its interactions without a scan.
CREATE INDEX interactions_case_idx ON interactions (case_id) WHERE case_id IS NOT NULL;
CREATE INDEX interactions_follow_on_idx ON interactions (follow_on_task_id) WHERE follow_on_task_id IS NOT NULL;

-- The log is append-only in spirit: no row is ever deleted, and a closed
-- interaction's facts and notes cannot change (its links may: a customer merge
-- moves it, a deleted customer, case or task unlinks it, an unmatched one may
-- still be associated).
CREATE FUNCTION sb_interactions_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'interactions are never deleted' USING ERRCODE = 'P0001';
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
CREATE TRIGGER interactions_append_only BEFORE UPDATE OR DELETE ON interactions
  FOR EACH ROW EXECUTE FUNCTION sb_interactions_guard();
