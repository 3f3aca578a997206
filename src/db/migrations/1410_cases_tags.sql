-- Case tags (docs/product.md, "Tags"). Owned by src/modules/cases.
-- Free-form short labels, normalised by the service before they are stored:
-- trimmed, inner spaces collapsed, lower-cased (so "VIP" and "vip" are one
-- tag), 1–40 characters, no commas, at most 20 per case, no repeats.
ALTER TABLE cases ADD COLUMN tags text[] NOT NULL DEFAULT '{}';
-- ?tag=a&tag=b (every one of them): tags @> array[…].
CREATE INDEX cases_tags_idx ON cases USING gin (tags);
