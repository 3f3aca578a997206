-- The durable job queue (src/modules/jobs): background work that survives a
-- restart (imports, exports, retention sweeps, connector retries). Any server
-- process claims a job with FOR UPDATE SKIP LOCKED and holds it under a lease;
-- a job whose lease ran out (its process died) is claimed again and resumes
-- from its checkpoint. Times are written by the service from its Clock.
CREATE TABLE jobs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.-]{0,63}$'),
  status text NOT NULL DEFAULT 'queued'
    CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  -- Who asked for it (their "My jobs"); NULL for the system.
  owner_id uuid REFERENCES users (id) ON DELETE SET NULL,
  params jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- Where the handler is: written in the same transaction as the work it records.
  checkpoint jsonb,
  progress_done bigint NOT NULL DEFAULT 0,
  progress_total bigint,
  progress jsonb NOT NULL DEFAULT '{}'::jsonb,
  result jsonb,
  error text,
  cancel_requested_at timestamptz,
  cancel_requested_by uuid,
  -- Claims so far (a reclaim after a crash counts; a release on graceful shutdown does not).
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL DEFAULT 5 CHECK (max_attempts BETWEEN 1 AND 100),
  run_after timestamptz NOT NULL,
  lease_token uuid,
  lease_owner text,
  lease_expires_at timestamptz,
  created_at timestamptz NOT NULL,
  started_at timestamptz,
  finished_at timestamptz,
  updated_at timestamptz NOT NULL,
  CHECK ((status = 'running') = (lease_token IS NOT NULL))
);
CREATE INDEX jobs_queued_idx ON jobs (run_after, created_at) WHERE status = 'queued';
CREATE INDEX jobs_running_idx ON jobs (lease_expires_at) WHERE status = 'running';
CREATE INDEX jobs_owner_idx ON jobs (owner_id, created_at DESC, id DESC);
CREATE INDEX jobs_kind_idx ON jobs (kind, created_at DESC, id DESC);
