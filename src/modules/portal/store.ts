import type { Queryable } from '../../db/adapter.js';
import { maybeOne, one } from '../../db/adapter.js';

/** The Support Center's SQL: portal_accounts, portal_sessions, portal_reset_tokens, portal_throttle. */

export interface AccountRow {
  customer_id: string;
  password_hash: string;
  enabled: boolean;
  version: number;
  last_sign_in_at: Date | null;
  password_changed_at: Date;
  created_at: Date;
  updated_at: Date;
}

const ACCOUNT_COLUMNS = `customer_id, password_hash, enabled, version, last_sign_in_at, password_changed_at,
  created_at, updated_at`;

export async function findAccount(q: Queryable, customerId: string, forUpdate = false): Promise<AccountRow | null> {
  return maybeOne<AccountRow>(
    q,
    `SELECT ${ACCOUNT_COLUMNS} FROM portal_accounts WHERE customer_id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [customerId],
  );
}

export async function upsertAccount(
  tx: Queryable,
  customerId: string,
  enabled: boolean,
  passwordHash: string | null,
): Promise<AccountRow> {
  return one<AccountRow>(
    tx,
    `INSERT INTO portal_accounts (customer_id, password_hash, enabled) VALUES ($1, $2, $3)
     ON CONFLICT (customer_id) DO UPDATE SET
       enabled = EXCLUDED.enabled,
       password_hash = CASE WHEN $4 THEN EXCLUDED.password_hash ELSE portal_accounts.password_hash END,
       password_changed_at = CASE WHEN $4 THEN now() ELSE portal_accounts.password_changed_at END,
       version = portal_accounts.version + 1, updated_at = now()
     RETURNING ${ACCOUNT_COLUMNS}`,
    [customerId, passwordHash ?? '', enabled, passwordHash !== null],
  );
}

export async function setPassword(tx: Queryable, customerId: string, hash: string): Promise<void> {
  await tx.query(
    `UPDATE portal_accounts SET password_hash = $2, password_changed_at = now(), version = version + 1,
       updated_at = now() WHERE customer_id = $1`,
    [customerId, hash],
  );
}

export async function noteSignIn(q: Queryable, customerId: string): Promise<void> {
  await q.query('UPDATE portal_accounts SET last_sign_in_at = now() WHERE customer_id = $1', [customerId]);
}

// ---------------------------------------------------------------- sessions

export async function insertSession(
  tx: Queryable,
  id: string,
  customerId: string,
  csrfToken: string,
  idleMinutes: number,
): Promise<void> {
  await tx.query(
    `INSERT INTO portal_sessions (id, customer_id, csrf_token, expires_at)
     VALUES ($1, $2, $3, now() + make_interval(mins => $4))`,
    [id, customerId, csrfToken, idleMinutes],
  );
}

export interface SessionRow {
  id: string;
  customer_id: string;
  csrf_token: string;
  stale: boolean;
}

/** A live session of an enabled account. */
export async function findSession(q: Queryable, id: string): Promise<SessionRow | null> {
  return maybeOne<SessionRow>(
    q,
    `SELECT s.id, s.customer_id, s.csrf_token, s.last_seen_at < now() - interval '1 minute' AS stale
     FROM portal_sessions s JOIN portal_accounts a ON a.customer_id = s.customer_id AND a.enabled
     WHERE s.id = $1 AND s.expires_at > now()`,
    [id],
  );
}

export async function slideSession(q: Queryable, id: string, idleMinutes: number): Promise<void> {
  await q.query(
    `UPDATE portal_sessions SET last_seen_at = now(), expires_at = now() + make_interval(mins => $2) WHERE id = $1`,
    [id, idleMinutes],
  );
}

export async function deleteSession(q: Queryable, id: string): Promise<void> {
  await q.query('DELETE FROM portal_sessions WHERE id = $1', [id]);
}

export async function deleteSessionsOf(q: Queryable, customerId: string): Promise<void> {
  await q.query('DELETE FROM portal_sessions WHERE customer_id = $1', [customerId]);
}

export async function pruneSessions(q: Queryable): Promise<void> {
  await q.query(`DELETE FROM portal_sessions WHERE expires_at < now() - interval '1 day'`);
  await q.query(`DELETE FROM portal_reset_tokens WHERE expires_at < now() - interval '1 day'`);
}

// ---------------------------------------------------------------- reset tokens

export async function insertResetToken(
  tx: Queryable,
  tokenHash: string,
  customerId: string,
  minutes: number,
): Promise<void> {
  // One live token at a time: asking again replaces the earlier one.
  await tx.query('DELETE FROM portal_reset_tokens WHERE customer_id = $1 AND used_at IS NULL', [customerId]);
  await tx.query(
    `INSERT INTO portal_reset_tokens (token_hash, customer_id, expires_at)
     VALUES ($1, $2, now() + make_interval(mins => $3))`,
    [tokenHash, customerId, minutes],
  );
}

/** Uses a token: only an unused, unexpired one, and only once (the UPDATE decides under concurrency). */
export async function useResetToken(tx: Queryable, tokenHash: string): Promise<string | null> {
  const row = await maybeOne<{ customer_id: string }>(
    tx,
    `UPDATE portal_reset_tokens SET used_at = now()
     WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING customer_id`,
    [tokenHash],
  );
  return row?.customer_id ?? null;
}

// ---------------------------------------------------------------- throttling

export async function throttleState(
  q: Queryable,
  keys: string[],
  windowSeconds: number,
): Promise<{ key: string; failures: number; retry: number }[]> {
  return q.query(
    `SELECT key, failures, ceil(extract(epoch FROM window_start + make_interval(secs => $2) - now()))::int AS retry
     FROM portal_throttle WHERE key = ANY($1) AND window_start > now() - make_interval(secs => $2)`,
    [keys, windowSeconds],
  );
}

export async function countFailure(q: Queryable, key: string, windowSeconds: number): Promise<void> {
  await q.query(
    `INSERT INTO portal_throttle (key, failures, window_start) VALUES ($1, 1, now())
     ON CONFLICT (key) DO UPDATE SET
       failures = CASE WHEN portal_throttle.window_start > now() - make_interval(secs => $2)
                       THEN portal_throttle.failures + 1 ELSE 1 END,
       window_start = CASE WHEN portal_throttle.window_start > now() - make_interval(secs => $2)
                       THEN portal_throttle.window_start ELSE now() END`,
    [key, windowSeconds],
  );
}

/**
 * Counts an attempt against each key before anything is verified and answers
 * the new counts (one upsert: concurrent attempts each see their own number).
 */
export function countAttempt(
  q: Queryable,
  keys: string[],
  windowSeconds: number,
): Promise<{ key: string; failures: number; retry: number }[]> {
  return q.query(
    `INSERT INTO portal_throttle AS t (key, failures, window_start)
     SELECT k, 1, now() FROM unnest($1::text[]) AS k
     ON CONFLICT (key) DO UPDATE SET
       failures = CASE WHEN t.window_start > now() - make_interval(secs => $2) THEN t.failures + 1 ELSE 1 END,
       window_start = CASE WHEN t.window_start > now() - make_interval(secs => $2) THEN t.window_start ELSE now() END
     RETURNING key, failures, greatest(1, ceil(extract(epoch FROM window_start + make_interval(secs => $2) - now())))::int AS retry`,
    [keys, windowSeconds],
  );
}

/** A success takes its attempt back from the address's count. */
export async function forgiveAttempt(q: Queryable, key: string): Promise<void> {
  await q.query('UPDATE portal_throttle SET failures = greatest(failures - 1, 0) WHERE key = $1', [key]);
}

export async function clearThrottle(q: Queryable, key: string): Promise<void> {
  await q.query('DELETE FROM portal_throttle WHERE key = $1', [key]);
}

/** Merging customers: both customers' accounts, locked (at most one each). */
export async function lockAccountsOf(
  tx: Queryable,
  customerIds: string[],
): Promise<{ customer_id: string; enabled: boolean }[]> {
  return tx.query<{ customer_id: string; enabled: boolean }>(
    'SELECT customer_id, enabled FROM portal_accounts WHERE customer_id = ANY($1::uuid[]) FOR UPDATE',
    [customerIds],
  );
}

/** Merging customers: the account moves to another customer. */
export async function moveAccount(tx: Queryable, fromId: string, toId: string): Promise<void> {
  await tx.query('UPDATE portal_accounts SET customer_id = $1, updated_at = now() WHERE customer_id = $2', [
    toId,
    fromId,
  ]);
}
