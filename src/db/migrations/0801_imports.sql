-- Imports of customers, cases and follow-ups from files (src/modules/imports;
-- docs/importing.md). An import is an uploaded file; its runs (one dry run at a
-- time, one real run) are jobs of kind `import` (0800_jobs.sql).

-- The `data.import` privilege: administrators by default.
UPDATE role_privileges SET privileges = array_append(privileges, 'data.import'), version = version + 1
WHERE role = 'admin' AND NOT ('data.import' = ANY (privileges));

CREATE TABLE imports (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  object_type text NOT NULL CHECK (object_type IN ('customers', 'cases', 'followUps')),
  file_name text NOT NULL CHECK (length(file_name) <= 255),
  file_size bigint NOT NULL,
  format text NOT NULL CHECK (format IN ('csv', 'jsonl')),
  encoding text NOT NULL,
  delimiter text,
  bom smallint NOT NULL DEFAULT 0,
  -- The header's columns (CSV) or the keys seen in the first lines (JSON Lines), and a few rows to map by.
  columns jsonb NOT NULL,
  sample jsonb NOT NULL,
  -- Data rows in the file (records under the header; JSON Lines: non-empty lines).
  total_rows bigint NOT NULL,
  -- The whole file arrived and was checked (an upload cut short is deleted; a dead process's is never shown).
  ready boolean NOT NULL DEFAULT false,
  -- The file is kept until the real run ends (and then deleted).
  file_kept boolean NOT NULL DEFAULT true,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_by_name text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX imports_created_idx ON imports (created_at DESC, id DESC);

-- The uploaded file in 1 MiB pieces: every server process can read it, whichever claims the job.
CREATE TABLE import_file_chunks (
  import_id uuid NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
  seq integer NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (import_id, seq)
);

-- A run: the real one, or the latest dry run. Counts are written with each chunk's rows.
CREATE TABLE import_runs (
  import_id uuid NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
  dry_run boolean NOT NULL,
  job_id uuid NOT NULL,
  status text NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
  settings jsonb NOT NULL,
  rows_read bigint NOT NULL DEFAULT 0,
  rows_created bigint NOT NULL DEFAULT 0,
  rows_updated bigint NOT NULL DEFAULT 0,
  rows_unchanged bigint NOT NULL DEFAULT 0,
  rows_failed bigint NOT NULL DEFAULT 0,
  error text,
  started_by uuid REFERENCES users (id) ON DELETE SET NULL,
  started_by_name text NOT NULL,
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  PRIMARY KEY (import_id, dry_run),
  CHECK (rows_created + rows_updated + rows_unchanged + rows_failed = rows_read)
);
CREATE UNIQUE INDEX import_runs_job_idx ON import_runs (job_id);

-- Failed rows: the row's own values (to write the errors file) and every problem found.
CREATE TABLE import_errors (
  import_id uuid NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
  dry_run boolean NOT NULL,
  row_number bigint NOT NULL,
  errors jsonb NOT NULL,
  record jsonb NOT NULL,
  PRIMARY KEY (import_id, dry_run, row_number)
);

-- What each row of a run has named (an account number, an email, a record…): a later row of
-- the same file naming it again is a row error in both the dry and the real run, so both count alike.
CREATE TABLE import_claims (
  import_id uuid NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
  dry_run boolean NOT NULL,
  key text NOT NULL,
  row_number bigint NOT NULL,
  PRIMARY KEY (import_id, dry_run, key)
);

-- Saved, reusable column mappings.
CREATE TABLE import_mappings (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  object_type text NOT NULL CHECK (object_type IN ('customers', 'cases', 'followUps')),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  mapping jsonb NOT NULL,
  version integer NOT NULL DEFAULT 1,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX uq__import_mappings__name ON import_mappings (object_type, lower(name));

-- Case numbers an import brings are kept: the generated ones skip them (as account numbers do).
CREATE FUNCTION sb_next_case_number() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  candidate bigint;
BEGIN
  LOOP
    candidate := nextval('case_number_seq');
    EXIT WHEN NOT EXISTS (SELECT 1 FROM cases WHERE case_number = candidate);
  END LOOP;
  RETURN candidate;
END
$$;
ALTER TABLE cases ALTER COLUMN case_number SET DEFAULT sb_next_case_number();
