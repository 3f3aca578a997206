import type { Queryable } from '../../db/adapter.js';
import { maybeOne } from '../../db/adapter.js';
import type { Role } from '../../http/privileges.js';

/**
 * The sign-in side's SQL: credentials, sessions, throttling counters, second
 * factors and reset tokens. Only this module's auth code imports it: password
 * hashes and TOTP secrets never reach another module (UsersService hands out
 * rows without them). Every time comes from the caller (the app's Clock).
 */

export interface Credentials {
  id: string;
  email: string;
  first_name: string;
  last_name: string;
  role: Role;
  disabled: boolean;
  password_hash: string;
  /** Whether a confirmed TOTP authenticator exists. */
  totp_enabled: boolean;
  /** The role asks for a second factor. */
  role_requires_two_factor: boolean;
}

const CREDENTIALS = `SELECT u.id, u.email, u.first_name, u.last_name, u.role, u.disabled, u.password_hash,
    EXISTS (SELECT 1 FROM user_totp t WHERE t.user_id = u.id AND t.enabled_at IS NOT NULL) AS totp_enabled,
    rp.require_two_factor AS role_requires_two_factor
  FROM users u JOIN role_privileges rp ON rp.role = u.role`;

export function credentialsByEmail(q: Queryable, email: string): Promise<Credentials | null> {
  return maybeOne<Credentials>(q, `${CREDENTIALS} WHERE lower(u.email) = lower($1)`, [email]);
}

export function credentialsById(q: Queryable, id: string): Promise<Credentials | null> {
  return maybeOne<Credentials>(q, `${CREDENTIALS} WHERE u.id = $1`, [id]);
}

export async function setPasswordHash(q: Queryable, userId: string, hash: string): Promise<void> {
  await q.query('UPDATE users SET password_hash = $2, version = version + 1, updated_at = now() WHERE id = $1', [
    userId,
    hash,
  ]);
}

// ---------------------------------------------------------------- throttling

interface ThrottleCount {
  key: string;
  failures: number;
  /** Seconds until the key's window ends. */
  retry: number;
}

/**
 * Counts one attempt against each key and answers the new counts, in one
 * statement: concurrent attempts each see their own number (the row lock of
 * the upsert orders them), so no attempt can pass a check that a concurrent
 * one has already used up.
 */
export function countAttempt(q: Queryable, keys: string[], windowSeconds: number, now: Date): Promise<ThrottleCount[]> {
  return q.query<ThrottleCount>(
    `INSERT INTO auth_throttle AS t (key, failures, window_start)
     SELECT k, 1, $3::timestamptz FROM unnest($1::text[]) AS k
     ON CONFLICT (key) DO UPDATE SET
       failures = CASE WHEN t.window_start > $3::timestamptz - make_interval(secs => $2) THEN t.failures + 1 ELSE 1 END,
       window_start = CASE WHEN t.window_start > $3::timestamptz - make_interval(secs => $2) THEN t.window_start ELSE $3::timestamptz END
     RETURNING key, failures,
       greatest(1, ceil(extract(epoch FROM window_start + make_interval(secs => $2) - $3::timestamptz)))::int AS retry`,
    [keys, windowSeconds, now],
  );
}

/** A success takes its attempt back: the pair's count is cleared, the others' lowered by one. */
export async function forgiveAttempt(q: Queryable, clear: string, lower: string[]): Promise<void> {
  await q.query('DELETE FROM auth_throttle WHERE key = $1', [clear]);
  if (lower.length > 0) {
    await q.query('UPDATE auth_throttle SET failures = greatest(failures - 1, 0) WHERE key = ANY($1::text[])', [lower]);
  }
}

export async function clearThrottle(q: Queryable, key: string): Promise<void> {
  await q.query('DELETE FROM auth_throttle WHERE key = $1', [key]);
}

// ---------------------------------------------------------------- sessions

interface NewSession {
  idHash: string;
  userId: string;
  csrfToken: string;
  ip: string | null;
  userAgent: string | null;
  now: Date;
  idleMinutes: number;
  maxHours: number;
}

export async function insertSession(q: Queryable, s: NewSession): Promise<void> {
  await q.query(
    `INSERT INTO sessions (id, user_id, csrf_token, ip, user_agent, created_at, last_seen_at, expires_at, absolute_expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $6,
             least($6::timestamptz + make_interval(mins => $7), $6::timestamptz + make_interval(hours => $8)),
             $6::timestamptz + make_interval(hours => $8))`,
    [s.idHash, s.userId, s.csrfToken, s.ip, s.userAgent?.slice(0, 512) ?? null, s.now, s.idleMinutes, s.maxHours],
  );
}

interface SessionPrincipal {
  user_id: string;
  email: string;
  first_name: string;
  last_name: string;
  role: Role;
  privileges: string[] | null;
  role_privileges: string[];
  disabled: boolean;
  csrf_token: string;
  public_id: string;
  /** Last activity more than a minute ago: this request's activity is worth writing. */
  stale: boolean;
  /** The role requires a second factor and the user has none yet: only enrolment is open. */
  must_enrol: boolean;
}

/** The live session with this id hash at `now` (idle and absolute expiry both checked), with its user. */
export function findSession(q: Queryable, idHash: string, now: Date): Promise<SessionPrincipal | null> {
  return maybeOne<SessionPrincipal>(
    q,
    `SELECT s.csrf_token, s.public_id, s.last_seen_at < $2::timestamptz - interval '1 minute' AS stale,
            u.id AS user_id, u.email, u.first_name, u.last_name, u.role, u.privileges, u.disabled,
            rp.privileges AS role_privileges,
            rp.require_two_factor AND NOT EXISTS (
              SELECT 1 FROM user_totp t WHERE t.user_id = u.id AND t.enabled_at IS NOT NULL) AS must_enrol
     FROM sessions s JOIN users u ON u.id = s.user_id JOIN role_privileges rp ON rp.role = u.role
     WHERE s.id = $1 AND s.expires_at > $2 AND s.absolute_expires_at > $2`,
    [idHash, now],
  );
}

/** Activity: the idle expiry moves forward, never past the absolute one. */
export async function touchSession(
  q: Queryable,
  idHash: string,
  now: Date,
  idleMinutes: number,
  ip: string | null,
): Promise<void> {
  await q.query(
    `UPDATE sessions SET last_seen_at = $2, ip = coalesce($4, ip),
       expires_at = least($2::timestamptz + make_interval(mins => $3), absolute_expires_at)
     WHERE id = $1`,
    [idHash, now, idleMinutes, ip],
  );
}

export interface SessionRow {
  public_id: string;
  id: string;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  absolute_expires_at: Date;
  ip: string | null;
  user_agent: string | null;
}

export function liveSessionsOf(q: Queryable, userId: string, now: Date): Promise<SessionRow[]> {
  return q.query<SessionRow>(
    `SELECT public_id, id, created_at, last_seen_at, expires_at, absolute_expires_at, ip, user_agent
     FROM sessions WHERE user_id = $1 AND expires_at > $2 AND absolute_expires_at > $2
     ORDER BY last_seen_at DESC LIMIT 500`,
    [userId, now],
  );
}

/** Deletes the user's sessions (all, or those matching `publicId`, or all but `exceptIdHash`); answers how many. */
export async function deleteSessions(
  q: Queryable,
  userId: string,
  opts: { publicId?: string; exceptIdHash?: string } = {},
): Promise<number> {
  const rows = await q.query(
    `DELETE FROM sessions WHERE user_id = $1
       AND ($2::uuid IS NULL OR public_id = $2) AND ($3::text IS NULL OR id <> $3)
     RETURNING 1`,
    [userId, opts.publicId ?? null, opts.exceptIdHash ?? null],
  );
  return rows.length;
}

export async function deleteSession(q: Queryable, idHash: string): Promise<void> {
  await q.query('DELETE FROM sessions WHERE id = $1', [idHash]);
}

/** Housekeeping: sessions, challenges and reset tokens past their time. */
export async function pruneExpired(q: Queryable, now: Date): Promise<void> {
  await q.query('DELETE FROM sessions WHERE expires_at < $1 OR absolute_expires_at < $1', [now]);
  await q.query('DELETE FROM signin_challenges WHERE expires_at < $1', [now]);
  await q.query(`DELETE FROM staff_password_resets WHERE expires_at < $1::timestamptz - interval '1 day'`, [now]);
}

// ---------------------------------------------------------------- second factor

export async function insertChallenge(
  q: Queryable,
  c: { idHash: string; userId: string; ip: string | null; userAgent: string | null; now: Date; minutes: number },
): Promise<void> {
  await q.query(
    `INSERT INTO signin_challenges (id, user_id, ip, user_agent, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $5::timestamptz + make_interval(mins => $6))`,
    [c.idHash, c.userId, c.ip, c.userAgent?.slice(0, 512) ?? null, c.now, c.minutes],
  );
}

/** Uses one attempt of a live challenge (counted before the code is checked); null when gone or used up. */
export function useChallengeAttempt(
  q: Queryable,
  idHash: string,
  now: Date,
  maxAttempts: number,
): Promise<{ user_id: string; attempts: number } | null> {
  return maybeOne(
    q,
    `UPDATE signin_challenges SET attempts = attempts + 1
     WHERE id = $1 AND expires_at > $2 AND attempts < $3 RETURNING user_id, attempts`,
    [idHash, now, maxAttempts],
  );
}

export async function deleteChallenge(q: Queryable, idHash: string): Promise<void> {
  await q.query('DELETE FROM signin_challenges WHERE id = $1', [idHash]);
}

interface TotpRow {
  secret: string;
  enabled_at: Date | null;
  last_step: number | null;
}

export function totpOf(q: Queryable, userId: string): Promise<TotpRow | null> {
  return maybeOne<TotpRow>(q, 'SELECT secret, enabled_at, last_step FROM user_totp WHERE user_id = $1', [userId]);
}

/** Starts (or restarts) an enrolment: a new secret, not enabled. Refused (false) when one is already enabled. */
export async function startTotp(q: Queryable, userId: string, secret: string, now: Date): Promise<boolean> {
  const rows = await q.query(
    `INSERT INTO user_totp (user_id, secret, created_at) VALUES ($1, $2, $3)
     ON CONFLICT (user_id) DO UPDATE SET secret = EXCLUDED.secret, created_at = EXCLUDED.created_at, last_step = NULL
       WHERE user_totp.enabled_at IS NULL
     RETURNING 1`,
    [userId, secret, now],
  );
  return rows.length === 1;
}

/**
 * Accepts a code's time step once: only a step newer than the last accepted
 * one moves `last_step` (a code seen by a shoulder-surfer or a proxy cannot be
 * replayed, even concurrently). `enable` also confirms an enrolment.
 */
export async function acceptTotpStep(
  q: Queryable,
  userId: string,
  step: number,
  now: Date,
  enable: boolean,
): Promise<boolean> {
  const rows = await q.query(
    `UPDATE user_totp SET last_step = $2, enabled_at = CASE WHEN $4 THEN coalesce(enabled_at, $3) ELSE enabled_at END
     WHERE user_id = $1 AND (last_step IS NULL OR last_step < $2) AND (enabled_at IS NOT NULL OR $4)
     RETURNING 1`,
    [userId, step, now, enable],
  );
  return rows.length === 1;
}

export async function deleteTotp(q: Queryable, userId: string): Promise<boolean> {
  const rows = await q.query('DELETE FROM user_totp WHERE user_id = $1 RETURNING 1', [userId]);
  await q.query('DELETE FROM user_recovery_codes WHERE user_id = $1', [userId]);
  return rows.length === 1;
}

export async function replaceRecoveryCodes(q: Queryable, userId: string, hashes: string[]): Promise<void> {
  await q.query('DELETE FROM user_recovery_codes WHERE user_id = $1', [userId]);
  await q.query('INSERT INTO user_recovery_codes (user_id, code_hash) SELECT $1, h FROM unnest($2::text[]) AS h', [
    userId,
    hashes,
  ]);
}

/** Uses a recovery code once (atomic: two concurrent uses of one code cannot both succeed). */
export async function useRecoveryCode(q: Queryable, userId: string, hash: string, now: Date): Promise<boolean> {
  const rows = await q.query(
    `UPDATE user_recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING 1`,
    [userId, hash, now],
  );
  return rows.length === 1;
}

export async function recoveryCodesLeft(q: Queryable, userId: string): Promise<number> {
  const row = await maybeOne<{ n: number }>(
    q,
    'SELECT count(*) AS n FROM user_recovery_codes WHERE user_id = $1 AND used_at IS NULL',
    [userId],
  );
  return row?.n ?? 0;
}

// ---------------------------------------------------------------- password resets

export async function insertReset(
  q: Queryable,
  r: { tokenHash: string; userId: string; now: Date; minutes: number },
): Promise<void> {
  // One live link per user: asking again replaces the previous one.
  await q.query('DELETE FROM staff_password_resets WHERE user_id = $1 AND used_at IS NULL', [r.userId]);
  await q.query(
    `INSERT INTO staff_password_resets (token_hash, user_id, created_at, expires_at)
     VALUES ($1, $2, $3, $3::timestamptz + make_interval(mins => $4))`,
    [r.tokenHash, r.userId, r.now, r.minutes],
  );
}

/** Marks a live token used and answers its user (single use, even for two concurrent confirmations). */
export async function useReset(q: Queryable, tokenHash: string, now: Date): Promise<string | null> {
  const row = await maybeOne<{ user_id: string }>(
    q,
    `UPDATE staff_password_resets SET used_at = $2
     WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING user_id`,
    [tokenHash, now],
  );
  return row?.user_id ?? null;
}

// ---------------------------------------------------------------- API keys

/** Writes a key's last use when the stored one is a minute old or more (every process shares the rule). */
export async function noteApiKeyUse(q: Queryable, keyId: string, now: Date, ip: string | null): Promise<void> {
  await q.query(
    `UPDATE api_keys SET last_used_at = $2, last_used_ip = $3
     WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $2::timestamptz - interval '1 minute')`,
    [keyId, now, ip],
  );
}
