-- CRM connectors (docs/webhooks.md, "CRM connectors"): external systems the
-- screen pop may ask, interactions are logged back to, and contacts sync with.

CREATE TABLE connectors (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind text NOT NULL,
  name text NOT NULL,
  -- The external-id system its contacts carry (customer_external_ids.system).
  system text NOT NULL,
  base_url text NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  use_for_lookup boolean NOT NULL DEFAULT true,
  log_interactions boolean NOT NULL DEFAULT true,
  sync_contacts boolean NOT NULL DEFAULT false,
  lookup_budget_ms integer NOT NULL DEFAULT 300,
  username text,
  -- Never returned by the API: the signing secret (http) or the password (carddav).
  secret text NOT NULL,
  sync_cursor text,
  last_sync_at timestamptz,
  last_sync_error text,
  last_test_at timestamptz,
  last_test_error text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  version integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX uq__connectors__system ON connectors (system);

-- One row: how the screen pop uses the connectors.
CREATE TABLE connector_settings (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  lookup_order text NOT NULL DEFAULT 'local' CHECK (lookup_order IN ('local', 'local_then_external', 'external')),
  version integer NOT NULL DEFAULT 1
);
INSERT INTO connector_settings DEFAULT VALUES;
