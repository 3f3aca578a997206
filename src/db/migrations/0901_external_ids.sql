-- External ids (docs/webhooks.md): a customer's ids in other systems, one per system,
-- and each (system, id) names one customer. Owned by the customers module.
CREATE TABLE customer_external_ids (
  system text NOT NULL CHECK (system ~ '^[a-z0-9][a-z0-9_.-]{0,39}$'),
  external_id text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 200),
  customer_id uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT uq__customer_external_ids__external_id PRIMARY KEY (system, external_id),
  CONSTRAINT uq__customer_external_ids__system UNIQUE (customer_id, system)
);
CREATE INDEX customer_external_ids_customer_idx ON customer_external_ids (customer_id);
