-- A two-way connector may be told not to push (docs/INTEGRATION.md, "When the
-- CRM is the source of truth"): its syncs still pull the CRM's changes, but
-- write nothing there, and the CRM's version of a contact always wins.

ALTER TABLE connectors ADD COLUMN push_contacts boolean NOT NULL DEFAULT true;
