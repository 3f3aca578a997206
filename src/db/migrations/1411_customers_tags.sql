-- Customer tags (docs/customers.md, "Tags"). Owned by src/modules/customers.
-- The same rules as case tags (1410): normalised by the service, lower-case,
-- 1–40 characters, no commas, at most 20 per customer.
ALTER TABLE customers ADD COLUMN tags text[] NOT NULL DEFAULT '{}';
CREATE INDEX customers_tags_idx ON customers USING gin (tags);
