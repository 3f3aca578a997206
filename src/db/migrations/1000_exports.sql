-- Exports (src/modules/exports, docs/exporting.md): the files of background
-- exports, kept under "My downloads" until they expire. A background export is
-- a job of kind 'export' (jobs table); its file is stored here in chunks, so
-- every server process (and the embedded database) can serve it.
CREATE TABLE export_files (
  job_id uuid PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
  owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  object_type text NOT NULL,
  format text NOT NULL CHECK (format IN ('csv', 'jsonl')),
  gzip boolean NOT NULL,
  file_name text NOT NULL,
  content_type text NOT NULL,
  bytes bigint NOT NULL,
  rows bigint NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX export_files_owner_idx ON export_files (owner_id, created_at DESC);
CREATE INDEX export_files_expires_idx ON export_files (expires_at);

-- The bytes of a file, in order. Written in the export's own transaction (the
-- one that read the rows), so a file is either complete or absent.
CREATE TABLE export_file_chunks (
  job_id uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  seq integer NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (job_id, seq)
);
