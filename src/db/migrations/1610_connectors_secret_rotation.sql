-- An HTTP connector's signing secret rotates like a webhook endpoint's
-- (docs/INTEGRATION.md, "Rotating the signing secret"): during the grace
-- period every request carries a second signature made with the old secret.

ALTER TABLE connectors
  ADD COLUMN previous_secret text,
  ADD COLUMN previous_secret_until timestamptz;
