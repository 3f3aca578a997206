-- Idempotency keys (src/http/idempotency.ts): a POST sent with `Idempotency-Key`
-- records the key in the same transaction as its write, and the response once
-- sent; a retry with the same key (a client, or a proxy after a process died)
-- gets the stored response instead of writing twice. Additive: older servers
-- never read it.
CREATE TABLE idempotency_keys (
  -- The user the request was made as (sessions and API keys alike).
  owner_id uuid NOT NULL,
  key text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
  -- SHA-256 of method, path and body: the same key with another request is refused.
  request_hash text NOT NULL,
  method text NOT NULL,
  path text NOT NULL,
  created_at timestamptz NOT NULL,
  -- Filled when the response is sent; NULL while in flight (or if the process died after commit).
  status_code integer,
  content_type text,
  response_body text,
  completed_at timestamptz,
  CONSTRAINT idempotency_keys_pkey PRIMARY KEY (owner_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
