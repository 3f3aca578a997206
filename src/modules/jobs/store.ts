import type { Queryable } from '../../db/adapter.js';
import { maybeOne } from '../../db/adapter.js';

/** The jobs table's SQL: the only code that touches `jobs`. */

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export const FINISHED: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];

export interface JobRow {
  id: string;
  kind: string;
  status: JobStatus;
  owner_id: string | null;
  params: Record<string, unknown>;
  checkpoint: unknown;
  progress_done: number;
  progress_total: number | null;
  progress: Record<string, unknown>;
  result: Record<string, unknown> | null;
  error: string | null;
  cancel_requested_at: Date | null;
  cancel_requested_by: string | null;
  attempts: number;
  max_attempts: number;
  run_after: Date;
  lease_token: string | null;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: Date;
}

const COLUMNS = `id, kind, status, owner_id, params, checkpoint, progress_done, progress_total, progress, result, error,
  cancel_requested_at, cancel_requested_by, attempts, max_attempts, run_after, lease_token, lease_owner,
  lease_expires_at, created_at, started_at, finished_at, updated_at`;

interface NewJobRow {
  kind: string;
  ownerId: string | null;
  params: Record<string, unknown>;
  total: number | null;
  maxAttempts: number;
  runAfter: Date;
  now: Date;
}

export async function insertJob(tx: Queryable, j: NewJobRow): Promise<JobRow> {
  const rows = await tx.query<JobRow>(
    `INSERT INTO jobs (kind, owner_id, params, progress_total, max_attempts, run_after, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING ${COLUMNS}`,
    [j.kind, j.ownerId, JSON.stringify(j.params), j.total, j.maxAttempts, j.runAfter, j.now],
  );
  await tx.query(`SELECT pg_notify('sb_jobs', $1)`, [j.kind]);
  return rows[0];
}

export function getJobRow(q: Queryable, id: string, forUpdate = false): Promise<JobRow | null> {
  return maybeOne<JobRow>(q, `SELECT ${COLUMNS} FROM jobs WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
}

/**
 * Claims the next job of these kinds: a queued one that is due, or a running
 * one whose lease ran out (its process died). SKIP LOCKED: two processes
 * claiming at once take different jobs.
 */
export async function claimJob(
  tx: Queryable,
  kinds: string[],
  lease: { token: string; owner: string; expiresAt: Date },
  now: Date,
): Promise<JobRow | null> {
  return maybeOne<JobRow>(
    tx,
    `UPDATE jobs SET status = 'running', lease_token = $2, lease_owner = $3, lease_expires_at = $4,
       attempts = attempts + 1, started_at = coalesce(started_at, $5), updated_at = $5
     WHERE id = (
       SELECT id FROM jobs
       WHERE kind = ANY($1::text[])
         AND ((status = 'queued' AND run_after <= $5) OR (status = 'running' AND lease_expires_at < $5))
       ORDER BY run_after, created_at
       LIMIT 1
       FOR UPDATE SKIP LOCKED)
     RETURNING ${COLUMNS}`,
    [kinds, lease.token, lease.owner, lease.expiresAt, now],
  );
}

/** Locks the job if this lease still holds it; null when another process has taken it over. */
export function lockLeased(tx: Queryable, id: string, token: string): Promise<JobRow | null> {
  return maybeOne<JobRow>(tx, `SELECT ${COLUMNS} FROM jobs WHERE id = $1 AND lease_token = $2 FOR UPDATE`, [id, token]);
}

export interface ProgressUpdate {
  checkpoint?: unknown;
  done?: number;
  total?: number | null;
  details?: Record<string, unknown>;
}

/** Records progress (and the checkpoint, when given) under the lease; false when the lease is lost. */
export async function recordProgress(
  q: Queryable,
  id: string,
  token: string,
  p: ProgressUpdate,
  leaseExpiresAt: Date,
  now: Date,
): Promise<boolean> {
  const rows = await q.query(
    `UPDATE jobs SET
       checkpoint = CASE WHEN $3::boolean THEN $4::jsonb ELSE checkpoint END,
       progress_done = coalesce($5, progress_done),
       progress_total = CASE WHEN $6::boolean THEN $7::bigint ELSE progress_total END,
       progress = coalesce($8::jsonb, progress),
       lease_expires_at = $9, updated_at = $10
     WHERE id = $1 AND lease_token = $2 RETURNING id`,
    [
      id,
      token,
      p.checkpoint !== undefined,
      p.checkpoint === undefined ? null : JSON.stringify(p.checkpoint),
      p.done ?? null,
      p.total !== undefined,
      p.total ?? null,
      p.details === undefined ? null : JSON.stringify(p.details),
      leaseExpiresAt,
      now,
    ],
  );
  return rows.length === 1;
}

export async function renewLease(q: Queryable, id: string, token: string, expiresAt: Date): Promise<boolean> {
  const rows = await q.query('UPDATE jobs SET lease_expires_at = $3 WHERE id = $1 AND lease_token = $2 RETURNING id', [
    id,
    token,
    expiresAt,
  ]);
  return rows.length === 1;
}

/** Ends a run: finished (succeeded, failed, cancelled) or back to the queue. Null when the lease was lost. */
export function endRun(
  tx: Queryable,
  id: string,
  token: string,
  end: {
    status: JobStatus;
    result?: Record<string, unknown> | null;
    error?: string | null;
    runAfter?: Date;
    /** A graceful release gives the claim back. */
    refundAttempt?: boolean;
  },
  now: Date,
): Promise<JobRow | null> {
  const finished = FINISHED.includes(end.status);
  return maybeOne<JobRow>(
    tx,
    `UPDATE jobs SET status = $3, lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL,
       result = coalesce($4::jsonb, result), error = $5, run_after = coalesce($6, run_after),
       attempts = attempts - CASE WHEN $7::boolean THEN 1 ELSE 0 END,
       finished_at = CASE WHEN $8::boolean THEN $9::timestamptz ELSE NULL END, updated_at = $9
     WHERE id = $1 AND lease_token = $2 RETURNING ${COLUMNS}`,
    [
      id,
      token,
      end.status,
      end.result ? JSON.stringify(end.result) : null,
      end.error ?? null,
      end.runAfter ?? null,
      end.refundAttempt ?? false,
      finished,
      now,
    ],
  );
}

/** A queued job cancelled before any process took it. */
export function cancelQueued(tx: Queryable, id: string, by: string | null, now: Date): Promise<JobRow | null> {
  return maybeOne<JobRow>(
    tx,
    `UPDATE jobs SET status = 'cancelled', cancel_requested_at = $3, cancel_requested_by = $2, finished_at = $3,
       updated_at = $3
     WHERE id = $1 AND status = 'queued' RETURNING ${COLUMNS}`,
    [id, by, now],
  );
}

/** Asks a running job to stop: its process sees it before its next step. */
export function requestCancel(tx: Queryable, id: string, by: string | null, now: Date): Promise<JobRow | null> {
  return maybeOne<JobRow>(
    tx,
    `UPDATE jobs SET cancel_requested_at = coalesce(cancel_requested_at, $3),
       cancel_requested_by = coalesce(cancel_requested_by, $2), updated_at = $3
     WHERE id = $1 AND status = 'running' RETURNING ${COLUMNS}`,
    [id, by, now],
  );
}

/** Embedded database only (one process): every running job belonged to a process that is gone. */
export async function requeueAllRunning(q: Queryable, now: Date): Promise<number> {
  const rows = await q.query(
    `UPDATE jobs SET status = 'queued', lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL,
       updated_at = $1
     WHERE status = 'running' RETURNING id`,
    [now],
  );
  return rows.length;
}

interface JobFilter {
  kinds?: string[];
  ownerId?: string | null;
  status?: JobStatus;
  /** Keyset: created_at, id of the last row seen. */
  after?: [Date, string];
  limit: number;
}

export function listJobRows(q: Queryable, f: JobFilter): Promise<JobRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    params.push(v);
    where.push(sql.replace('$?', `$${params.length}`));
  };
  if (f.kinds) add('kind = ANY($?::text[])', f.kinds);
  if (f.ownerId !== undefined) add('owner_id = $?', f.ownerId);
  if (f.status) add('status = $?', f.status);
  if (f.after) {
    params.push(f.after[0], f.after[1]);
    where.push(`(created_at, id) < ($${params.length - 1}, $${params.length})`);
  }
  params.push(f.limit);
  return q.query<JobRow>(
    `SELECT ${COLUMNS} FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
}
