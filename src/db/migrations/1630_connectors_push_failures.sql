-- A contact's failed push (refused, a conflict still there after reading it
-- again, a deletion refused) is written to the customer's history once, not
-- on every sync run that fails the same way (docs/INTEGRATION.md, "Contact
-- sync"): the last failure noted per contact, forgotten when a push or a
-- deletion of it succeeds.

CREATE TABLE connector_contact_failures (
  connector_id uuid NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
  -- The contact's id in the connector's system.
  external_id text NOT NULL,
  -- SHA-256 of what failed and the CRM's reason as noted in the history (no personal data kept here).
  failure_digest text NOT NULL,
  noted_at timestamptz NOT NULL,
  PRIMARY KEY (connector_id, external_id)
);

-- The customer a synced contact belongs to, so a deletion the server refuses
-- (the customer deleted or unlinked here) is still noted on that customer.
-- Null for links saved before this column existed.
ALTER TABLE connector_contacts ADD COLUMN customer_id uuid;
