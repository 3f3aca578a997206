-- Webhooks (docs/webhooks.md): endpoints, the outbox of events written in the
-- changing transaction, one delivery per (event, endpoint) and its attempts.

CREATE TABLE webhook_endpoints (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  url text NOT NULL,
  description text,
  events text[] NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  -- Standard Webhooks secret (whsec_<base64>); during a rotation's grace period the old one signs too.
  secret text NOT NULL,
  previous_secret text,
  previous_secret_until timestamptz,
  -- Why the server disabled it: 'gone' (410) or 'failing' (failing for 5 days); null when an administrator did.
  disabled_reason text,
  failing_since timestamptz,
  last_success_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1
);
CREATE INDEX webhook_endpoints_enabled_idx ON webhook_endpoints USING gin (events) WHERE enabled;

-- One row per event that at least one endpoint wanted when it committed; body is the exact JSON sent.
CREATE TABLE webhook_events (
  id bigserial PRIMARY KEY,
  msg_id text NOT NULL UNIQUE,
  type text NOT NULL,
  body text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
  id bigserial PRIMARY KEY,
  endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  event_id bigint NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
  -- '<object>:<id>': a record's deliveries to one endpoint go out in id (= commit) order.
  record_key text NOT NULL,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'succeeded', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  -- -infinity: due at once (the enqueue runs in the caller's transaction and has no clock).
  next_attempt_at timestamptz NOT NULL DEFAULT '-infinity',
  locked_until timestamptz,
  last_status integer,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_record_idx ON webhook_deliveries (endpoint_id, record_key, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, id DESC);
CREATE INDEX webhook_deliveries_event_idx ON webhook_deliveries (event_id);

CREATE TABLE webhook_attempts (
  id bigserial PRIMARY KEY,
  delivery_id bigint NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  status integer,
  latency_ms integer NOT NULL,
  error text,
  response_excerpt text
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, id);

-- Hosts and addresses an administrator allows despite the SSRF guard (added to WEBHOOK_ALLOWED_HOSTS).
CREATE TABLE webhook_settings (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  allowed_hosts text[] NOT NULL DEFAULT '{}',
  version integer NOT NULL DEFAULT 1
);
INSERT INTO webhook_settings DEFAULT VALUES;

-- The `integrations.manage` privilege: administrators by default.
UPDATE role_privileges SET privileges = array_append(privileges, 'integrations.manage'), version = version + 1
WHERE role = 'admin' AND NOT ('integrations.manage' = ANY (privileges));
