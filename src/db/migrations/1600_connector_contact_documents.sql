-- The contact as last read from (or written to) a two-way connector's
-- server, e.g. the vCard: a push writes back unchanged what Switchboard does
-- not map (notes, birthdays, photos, X- properties). Personal data: the
-- privacy erasure clears it (src/modules/privacy/tables.ts).

ALTER TABLE connector_contacts ADD COLUMN document text;
