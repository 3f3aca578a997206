-- The CardDAV connector (docs/webhooks.md, "The CardDAV connector"): a sync
-- schedule per connector, the counts of the last sync, and what each synced
-- contact looked like at the last sync (its ETag and the customer's version),
-- which tells a change on one side from a change on both (a conflict).

ALTER TABLE connectors
  -- null: no schedule (a sync runs when asked); else every this many minutes.
  ADD COLUMN sync_interval_minutes integer,
  -- When the scheduler enqueues the next sync (claimed by one process: UPDATE … RETURNING).
  ADD COLUMN next_sync_at timestamptz,
  ADD COLUMN last_sync_counts jsonb;

CREATE TABLE connector_contacts (
  connector_id uuid NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
  -- The contact's id in the connector's system (the vCard's UID).
  external_id text NOT NULL,
  -- Where the contact lives on the server (the vCard's URL, relative to the server).
  href text NOT NULL,
  -- The server's ETag of the vCard as last read or written.
  etag text,
  -- The customer's version as last synced (a higher one: changed in Switchboard since).
  synced_version integer NOT NULL,
  PRIMARY KEY (connector_id, external_id)
);
CREATE UNIQUE INDEX uq__connector_contacts__href ON connector_contacts (connector_id, href);
