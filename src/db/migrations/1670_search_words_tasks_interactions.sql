-- Global search: stored word lists for tasks and interaction notes
-- (docs/agent-workflow.md, "Global search"). Migration 1570 gave follow-ups and
-- email messages a generated `search` column; tasks (subject, notes) and
-- interaction notes were still indexed on 1510's expressions, so walking their
-- recency index for a frequent word parsed every row read again. Same treatment
-- here: the words are kept in a generated column (PostgreSQL recomputes it on
-- every insert and update, erasure included), the GIN index is on the column,
-- and the expression indexes go. The interactions' digits index stays.
--
-- Upgrade cost: adding a stored generated column rewrites the table under an
-- exclusive lock (tasks, or interactions, are neither read nor written
-- meanwhile; the screen pop reads interactions) and builds the new GIN index.
-- bench/RESULTS.md has the figure measured on 50,000 tasks and 100,000
-- interactions; docs/operations.md's upgrade rule applies.

ALTER TABLE tasks ADD COLUMN search tsvector
  GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, subject || ' ' || coalesce(notes, ''))) STORED;
DROP INDEX tasks_text_idx;
CREATE INDEX tasks_search_idx ON tasks USING gin (search);
ALTER TABLE tasks ALTER COLUMN search SET STATISTICS 1000;

ALTER TABLE interactions ADD COLUMN search tsvector
  GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, coalesce(notes, ''))) STORED;
DROP INDEX interactions_notes_idx;
CREATE INDEX interactions_search_idx ON interactions USING gin (search);
ALTER TABLE interactions ALTER COLUMN search SET STATISTICS 1000;
