-- What went wrong with single contacts in a connector's last sync (a contact
-- refused, a conflict that could not be resolved, a deletion the server
-- refused): [{externalId, error}], shown to administrators on the connector.
-- The run itself goes on past them (docs/INTEGRATION.md, "Contact sync").

ALTER TABLE connectors ADD COLUMN last_sync_problems jsonb;
