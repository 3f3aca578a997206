-- Foundation: users, access, sessions, API keys, sign-in throttling and audit,
-- the shared history of changes, the event outbox, and settings.
-- Only PostgreSQL 15 features (Debian's server); PGlite is PostgreSQL 17+.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Append-only tables refuse UPDATE and DELETE (docs/product.md A3).
CREATE FUNCTION sb_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'P0001';
END
$$;

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL CHECK (length(email) <= 254),
  password_hash text NOT NULL,
  first_name text NOT NULL DEFAULT '' CHECK (length(first_name) <= 100),
  last_name text NOT NULL DEFAULT '' CHECK (length(last_name) <= 100),
  role text NOT NULL CHECK (role IN ('admin', 'supervisor', 'agent')),
  -- An explicit privilege list for this user; NULL means "the role's privileges".
  privileges text[],
  disabled boolean NOT NULL DEFAULT false,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX uq__users__email ON users (lower(email));

CREATE TABLE role_privileges (
  role text PRIMARY KEY CHECK (role IN ('admin', 'supervisor', 'agent')),
  privileges text[] NOT NULL,
  version integer NOT NULL DEFAULT 1,
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO role_privileges (role, privileges) VALUES
  ('agent', ARRAY['customers.view','customers.create','customers.edit',
                  'cases.view','cases.create','cases.edit','cases.addFollowUp','cases.changeStatus',
                  'tasks.view','tasks.create','tasks.edit']),
  ('supervisor', ARRAY['customers.view','customers.create','customers.edit','customers.delete',
                  'cases.view','cases.create','cases.edit','cases.delete','cases.addFollowUp',
                  'cases.changeStatus','cases.viewPrivate',
                  'tasks.view','tasks.create','tasks.edit','tasks.delete']),
  ('admin', ARRAY['customers.view','customers.create','customers.edit','customers.delete',
                  'cases.view','cases.create','cases.edit','cases.delete','cases.addFollowUp',
                  'cases.changeStatus','cases.viewPrivate',
                  'tasks.view','tasks.create','tasks.edit','tasks.delete','admin']);

CREATE TABLE sessions (
  id text PRIMARY KEY, -- sha256 of the cookie's token: a leaked table does not leak sessions
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE api_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name text NOT NULL DEFAULT '' CHECK (length(name) <= 100),
  prefix text NOT NULL,
  key_hash text NOT NULL,
  scopes text[] NOT NULL DEFAULT ARRAY['full'],
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE UNIQUE INDEX uq__api_keys__key_hash ON api_keys (key_hash);
CREATE INDEX api_keys_user_idx ON api_keys (user_id);

-- Failed sign-ins counted per key ("acct:<email>|ip:<addr>", "ip:<addr>") in a window.
CREATE TABLE auth_throttle (
  key text PRIMARY KEY,
  failures integer NOT NULL,
  window_start timestamptz NOT NULL
);

CREATE TABLE signin_audit (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  email text NOT NULL,
  user_id uuid,
  ip text,
  outcome text NOT NULL
);
CREATE INDEX signin_audit_at_idx ON signin_audit (at DESC);
CREATE TRIGGER signin_audit_append_only BEFORE UPDATE OR DELETE ON signin_audit
  FOR EACH ROW EXECUTE FUNCTION sb_forbid_change();

-- The history of changes of every record type (customers, cases, tasks, …).
CREATE TABLE history (
  id bigserial PRIMARY KEY,
  record_type text NOT NULL,
  record_id uuid, -- NULL for settings-like records (role privileges, policies)
  at timestamptz NOT NULL DEFAULT now(),
  actor_id uuid,
  actor_name text NOT NULL,
  channel text NOT NULL,
  action text NOT NULL,
  changes jsonb NOT NULL DEFAULT '[]'::jsonb
);
CREATE INDEX history_record_idx ON history (record_type, record_id, id DESC);
CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON history
  FOR EACH ROW EXECUTE FUNCTION sb_forbid_change();

-- The outbox: events are written in the transaction of the change they
-- announce; a NOTIFY on commit wakes every server process to fan them out.
CREATE TABLE events (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  user_id uuid, -- the one user it is for; NULL: every signed-in user who may see the record
  type text NOT NULL,
  record_type text,
  record_id uuid,
  payload jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX events_user_idx ON events (user_id, id);
CREATE INDEX events_at_idx ON events (at);

CREATE TABLE settings (
  key text PRIMARY KEY,
  value jsonb NOT NULL,
  version integer NOT NULL DEFAULT 1,
  updated_at timestamptz NOT NULL DEFAULT now()
);
