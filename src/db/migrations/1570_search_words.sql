-- Global search: stored word lists (docs/agent-workflow.md, "Global search").
-- Migration 1510 indexed follow-ups and email messages on expressions, so a
-- frequent word's walk of the recency index computed every row's words again,
-- and the middle band of words (too frequent for the GIN index, too rare for a
-- short walk) was slow (bench/RESULTS.md). Each table now keeps its words in a
-- generated column, as `cases.search` does, and the GIN index is on the column:
-- a walked row costs a comparison instead of a parse.
--
-- Upgrade cost: adding a stored generated column rewrites the table under an
-- exclusive lock (follow-ups and email messages are neither read nor written
-- meanwhile) and builds the new GIN index; the old expression indexes go. On a
-- large follow-ups table this takes minutes (bench/RESULTS.md has a measured
-- figure); docs/operations.md's upgrade rule applies. The column takes about
-- as much space again as the bodies' words.

ALTER TABLE case_follow_ups ADD COLUMN search tsvector
  GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, body)) STORED;
DROP INDEX case_follow_ups_text_idx;
CREATE INDEX case_follow_ups_search_idx ON case_follow_ups USING gin (search);
ALTER TABLE case_follow_ups ALTER COLUMN search SET STATISTICS 1000;

ALTER TABLE email_messages ADD COLUMN search tsvector
  GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, coalesce(subject, '') || ' ' || coalesce(text_body, ''))) STORED;
DROP INDEX email_messages_text_idx;
CREATE INDEX email_messages_search_idx ON email_messages USING gin (search);
ALTER TABLE email_messages ALTER COLUMN search SET STATISTICS 1000;
