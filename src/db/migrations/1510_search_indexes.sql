-- Global search (GET /api/v1/search, docs/agent-workflow.md "Global search").
-- Indexes only, each on its owner's table; the search reads every table through
-- its module's service. Word search uses the 'simple' configuration (no stemming,
-- no stop words: a word in a note is found as typed, in any language); case
-- subjects and descriptions keep their existing 'english' `cases.search` column.

-- Follow-up text (notes, calls, chats, email bodies as follow-ups), newest first.
CREATE INDEX case_follow_ups_text_idx ON case_follow_ups USING gin (to_tsvector('simple'::regconfig, body));
CREATE INDEX case_follow_ups_seq_idx ON case_follow_ups (seq DESC);

-- Stored email messages: subject and text body, newest first. Not partial (no
-- WHERE case_id IS NOT NULL): the planner reads a word's frequency only from the
-- statistics of a whole-table expression index.
CREATE INDEX email_messages_text_idx ON email_messages
  USING gin (to_tsvector('simple'::regconfig, coalesce(subject, '') || ' ' || coalesce(text_body, '')));
CREATE INDEX email_messages_created_idx ON email_messages (created_at DESC, id DESC);

-- Tasks: subject and notes, newest first.
CREATE INDEX tasks_text_idx ON tasks USING gin (to_tsvector('simple'::regconfig, subject || ' ' || coalesce(notes, '')));
CREATE INDEX tasks_created_idx ON tasks (created_at DESC, id DESC);

-- Interactions: notes by word; the from/to numbers by their digits (a part of a
-- number, 4 digits or more, through pg_trgm). Newest first is interactions_started_idx.
CREATE INDEX interactions_notes_idx ON interactions USING gin (to_tsvector('simple'::regconfig, coalesce(notes, '')));
CREATE INDEX interactions_digits_idx ON interactions USING gin (
  (regexp_replace(coalesce(from_address, ''), '[^0-9]', '', 'g') || ' ' ||
   regexp_replace(coalesce(to_address, ''), '[^0-9]', '', 'g')) gin_trgm_ops);

-- More lexemes in the statistics: the planner tells a rare word (collect the
-- matches from the GIN index, then sort) from a frequent one (walk the newest
-- rows and stop at the limit).
ALTER INDEX case_follow_ups_text_idx ALTER COLUMN 1 SET STATISTICS 1000;
ALTER INDEX email_messages_text_idx ALTER COLUMN 1 SET STATISTICS 1000;
ALTER INDEX tasks_text_idx ALTER COLUMN 1 SET STATISTICS 1000;
ALTER INDEX interactions_notes_idx ALTER COLUMN 1 SET STATISTICS 1000;
