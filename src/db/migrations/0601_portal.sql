-- The Support Center (docs/product.md S1, S2). Owned by src/modules/portal.
-- A customer's portal account, its sessions, password reset tokens and
-- sign-in throttling. Everything leaves with the customer.

CREATE TABLE portal_accounts (
  customer_id uuid PRIMARY KEY REFERENCES customers (id) ON DELETE CASCADE,
  password_hash text NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  version integer NOT NULL DEFAULT 1,
  last_sign_in_at timestamptz,
  password_changed_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE portal_sessions (
  id text PRIMARY KEY, -- sha256 of the cookie's token
  customer_id uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX portal_sessions_customer_idx ON portal_sessions (customer_id);
CREATE INDEX portal_sessions_expires_idx ON portal_sessions (expires_at);

-- Single-use reset tokens (stored hashed), valid until expires_at.
CREATE TABLE portal_reset_tokens (
  token_hash text PRIMARY KEY,
  customer_id uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX portal_reset_tokens_customer_idx ON portal_reset_tokens (customer_id);

-- Failed sign-ins (and reset requests) per key in a window, like staff sign-in.
CREATE TABLE portal_throttle (
  key text PRIMARY KEY,
  failures integer NOT NULL,
  window_start timestamptz NOT NULL
);
