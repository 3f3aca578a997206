-- Cases (docs/product.md K1, K4–K6) and their follow-ups (F1).
-- Owned by src/modules/cases; other modules go through CasesService.

-- The administrator's lists: statuses (open and closed always exist; others
-- count as open or closed by is_open), priorities and severities (ordered,
-- one default each). A retired item stays valid on existing cases but cannot
-- be chosen for a new value.
CREATE TABLE case_statuses (
  key text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_]{0,39}$'),
  label text NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
  position integer NOT NULL,
  is_open boolean NOT NULL,
  retired boolean NOT NULL DEFAULT false,
  CHECK (key NOT IN ('open', 'closed') OR (NOT retired AND is_open = (key = 'open')))
);
INSERT INTO case_statuses (key, label, position, is_open) VALUES
  ('open', 'Open', 1, true),
  ('closed', 'Closed', 100, false);

CREATE TABLE case_priorities (
  key text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_]{0,39}$'),
  label text NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
  position integer NOT NULL,
  is_default boolean NOT NULL DEFAULT false,
  retired boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX case_priorities_one_default ON case_priorities (is_default) WHERE is_default;
INSERT INTO case_priorities (key, label, position, is_default) VALUES
  ('low', 'Low', 1, false),
  ('normal', 'Normal', 2, true),
  ('high', 'High', 3, false),
  ('urgent', 'Urgent', 4, false);

CREATE TABLE case_severities (
  key text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_]{0,39}$'),
  label text NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
  position integer NOT NULL,
  is_default boolean NOT NULL DEFAULT false,
  retired boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX case_severities_one_default ON case_severities (is_default) WHERE is_default;
INSERT INTO case_severities (key, label, position, is_default) VALUES
  ('minor', 'Minor', 1, true),
  ('major', 'Major', 2, false),
  ('critical', 'Critical', 3, false);

-- The reopen policy (K6) and the version of the whole case settings document.
CREATE TABLE case_settings (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  reopen_policy text NOT NULL DEFAULT 'always' CHECK (reopen_policy IN ('never', 'always', 'withinDays')),
  reopen_days integer CHECK (reopen_days BETWEEN 1 AND 3650),
  version integer NOT NULL DEFAULT 1,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((reopen_policy = 'withinDays') = (reopen_days IS NOT NULL))
);
INSERT INTO case_settings (id) VALUES (true);

-- Human-readable case numbers: a sequence (gaps after rollbacks are fine), unique by index.
CREATE SEQUENCE case_number_seq START 100001;

CREATE TABLE cases (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_number bigint NOT NULL DEFAULT nextval('case_number_seq'),
  -- A customer with cases cannot be deleted by accident: move or delete its cases first.
  customer_id uuid NOT NULL REFERENCES customers (id),
  subject text NOT NULL CHECK (length(subject) BETWEEN 1 AND 500),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 100000),
  status text NOT NULL REFERENCES case_statuses (key),
  -- The status's category, kept with the row so "open cases" is one indexed condition.
  is_open boolean NOT NULL,
  priority text NOT NULL REFERENCES case_priorities (key),
  severity text NOT NULL REFERENCES case_severities (key),
  visibility text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'private')),
  owner_id uuid REFERENCES users (id),
  channel text NOT NULL DEFAULT 'other' CHECK (channel IN ('phone', 'chat', 'email', 'web', 'portal', 'other')),
  opened_at timestamptz NOT NULL DEFAULT now(),
  closed_at timestamptz,
  custom_fields jsonb NOT NULL DEFAULT '{}'::jsonb,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  created_by uuid,
  updated_by uuid,
  search tsvector GENERATED ALWAYS AS (
    to_tsvector('english'::regconfig, subject || ' ' || description)
  ) STORED
);
CREATE UNIQUE INDEX uq__cases__case_number ON cases (case_number);
-- The customer record's cases (table and unitary view).
CREATE INDEX cases_customer_idx ON cases (customer_id, opened_at DESC, id DESC);
-- "My open cases", and any one owner's cases.
CREATE INDEX cases_owner_open_idx ON cases (owner_id, opened_at DESC, id DESC) WHERE is_open;
CREATE INDEX cases_owner_idx ON cases (owner_id, opened_at DESC, id DESC);
-- The lists' sort orders; the open queue on its own.
CREATE INDEX cases_opened_idx ON cases (opened_at DESC, id DESC);
CREATE INDEX cases_open_opened_idx ON cases (opened_at DESC, id DESC) WHERE is_open;
CREATE INDEX cases_updated_idx ON cases (updated_at DESC, id DESC);
CREATE INDEX cases_search_idx ON cases USING gin (search);
-- More lexemes in the statistics: the planner then tells rare search terms from common ones.
ALTER TABLE cases ALTER COLUMN search SET STATISTICS 1000;

-- Follow-ups: append-only. A follow-up leaves only with its case (a case
-- delete cascades); while the case exists, UPDATE and DELETE are refused.
CREATE TABLE case_follow_ups (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Order of writing; the lists sort on it.
  seq bigint GENERATED ALWAYS AS IDENTITY,
  case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('note', 'call', 'chat', 'email')),
  direction text CHECK (direction IN ('inbound', 'outbound')),
  visibility text NOT NULL CHECK (visibility IN ('public', 'internal')),
  body text NOT NULL CHECK (length(body) <= 1000000),
  author_type text NOT NULL CHECK (author_type IN ('user', 'customer', 'system')),
  author_id uuid,
  author_name text NOT NULL,
  channel text NOT NULL,
  -- Emails: {from, to, cc, bcc, subject, messageId}; written by the email module at insert.
  email jsonb,
  custom_fields jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_follow_ups_case_idx ON case_follow_ups (case_id, seq);

CREATE FUNCTION sb_case_follow_ups_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM cases WHERE id = OLD.case_id) THEN
    RETURN OLD; -- the case itself is being deleted
  END IF;
  RAISE EXCEPTION 'case_follow_ups is append-only' USING ERRCODE = 'P0001';
END
$$;
CREATE TRIGGER case_follow_ups_append_only BEFORE UPDATE OR DELETE ON case_follow_ups
  FOR EACH ROW EXECUTE FUNCTION sb_case_follow_ups_guard();
