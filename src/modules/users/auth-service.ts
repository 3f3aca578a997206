import type { Db } from '../../db/adapter.js';
import { maybeOne, one } from '../../db/adapter.js';
import type { Config } from '../../config.js';
import type { Actor, Channel } from '../../http/actor.js';
import { requirePrivilege } from '../../http/actor.js';
import { Invalid, NotFound, TooManyRequests, Unauthenticated } from '../../http/errors.js';
import { isUuid } from '../../http/ids.js';
import { recordHistory } from '../history/service.js';
import { effectivePrivileges, type Role } from '../../http/privileges.js';
import { displayName, UsersService } from './service.js';
import { hashPassword, randomToken, sha256, verifyPassword } from './secrets.js';

/** Failed sign-ins allowed per (account, address) and per address in one window. */
export const THROTTLE = { windowSeconds: 15 * 60, perAccountAndAddress: 5, perAddress: 50 };

export const API_KEY_PREFIX = 'sb_';

/**
 * An API key's actor is kept in this process for at most this long, so a
 * platform calling the lookup API hundreds of times a second does not re-read
 * its key (three joined tables) on every request. Revoking a key takes effect
 * at once in the process that revoked it and within this time in the others;
 * so does disabling a user or changing privileges. Sessions are not cached.
 */
export const API_KEY_CACHE_MS = 5000;
const API_KEY_CACHE_MAX = 10_000;

interface PrincipalRow {
  user_id: string;
  email: string;
  first_name: string;
  last_name: string;
  role: Role;
  privileges: string[] | null;
  role_privileges: string[];
  disabled: boolean;
}

/** An argon2 hash of a random password, verified when the email is unknown so both answers take as long. */
let dummyHash: Promise<string> | null = null;

export class AuthService {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly users: UsersService,
  ) {
    // A disabled user, a new role or new privileges apply to API keys at once in this process.
    users.onAccessChange(() => this.apiKeyCache.clear());
  }

  private throttleKeys(email: string, ip: string): string[] {
    return [`acct:${email.toLowerCase()}|ip:${ip}`, `ip:${ip}`];
  }

  /** Throws 429 (with Retry-After) when this account from this address, or this address, failed too often. */
  private async checkThrottle(email: string, ip: string): Promise<void> {
    const [pair, addr] = this.throttleKeys(email, ip);
    const rows = await this.db.query<{ key: string; failures: number; retry: number }>(
      `SELECT key, failures, ceil(extract(epoch FROM window_start + make_interval(secs => $2) - now()))::int AS retry
       FROM auth_throttle WHERE key = ANY($1) AND window_start > now() - make_interval(secs => $2)`,
      [[pair, addr], THROTTLE.windowSeconds],
    );
    for (const r of rows) {
      const limit = r.key === pair ? THROTTLE.perAccountAndAddress : THROTTLE.perAddress;
      if (r.failures >= limit) throw new TooManyRequests(Math.max(1, r.retry));
    }
  }

  private async noteFailure(email: string, ip: string): Promise<void> {
    for (const key of this.throttleKeys(email, ip)) {
      await this.db.query(
        `INSERT INTO auth_throttle (key, failures, window_start) VALUES ($1, 1, now())
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN auth_throttle.window_start > now() - make_interval(secs => $2)
                           THEN auth_throttle.failures + 1 ELSE 1 END,
           window_start = CASE WHEN auth_throttle.window_start > now() - make_interval(secs => $2)
                           THEN auth_throttle.window_start ELSE now() END`,
        [key, THROTTLE.windowSeconds],
      );
    }
  }

  /**
   * Signs in. An unknown email, a wrong password and a disabled user get the same
   * answer. Throttling counts per (account, address), so an attacker elsewhere
   * cannot lock the real user out, and per address, so one address cannot spray.
   */
  async login(email: string, password: string, ip: string) {
    await this.checkThrottle(email, ip);
    const row = await this.users.findRowByEmail(email);
    dummyHash ??= hashPassword(randomToken(), this.config.argon2);
    const ok = row
      ? await verifyPassword(row.password_hash, password)
      : (await verifyPassword(await dummyHash, password), false);
    if (!row || !ok || row.disabled) {
      await this.noteFailure(email, ip);
      await this.db.query(`INSERT INTO signin_audit (email, user_id, ip, outcome) VALUES ($1, $2, $3, $4)`, [
        email.slice(0, 254),
        row?.id ?? null,
        ip,
        !row ? 'unknown-email' : row.disabled ? 'disabled' : 'wrong-password',
      ]);
      throw new Unauthenticated('Email or password is not right');
    }
    await this.db.query(`DELETE FROM auth_throttle WHERE key = $1`, [this.throttleKeys(email, ip)[0]]);
    const token = randomToken();
    const csrfToken = randomToken();
    await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO sessions (id, user_id, csrf_token, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(mins => $4))`,
        [sha256(token), row.id, csrfToken, this.config.sessionIdleMinutes],
      );
      await tx.query(`INSERT INTO signin_audit (email, user_id, ip, outcome) VALUES ($1, $2, $3, 'success')`, [
        row.email,
        row.id,
        ip,
      ]);
    });
    return { token, csrfToken, userId: row.id };
  }

  async logout(sessionId: string): Promise<void> {
    await this.db.query('DELETE FROM sessions WHERE id = $1', [sessionId]);
  }

  /** Resolves a session cookie to an actor, sliding its idle expiry at most once a minute. */
  async actorFromSession(token: string): Promise<{ actor: Actor; csrfToken: string } | null> {
    const id = sha256(token);
    const row = await maybeOne<PrincipalRow & { csrf_token: string; stale: boolean }>(
      this.db,
      `SELECT s.csrf_token, s.last_seen_at < now() - interval '1 minute' AS stale,
              u.id AS user_id, u.email, u.first_name, u.last_name, u.role, u.privileges, u.disabled,
              rp.privileges AS role_privileges
       FROM sessions s JOIN users u ON u.id = s.user_id JOIN role_privileges rp ON rp.role = u.role
       WHERE s.id = $1 AND s.expires_at > now()`,
      [id],
    );
    if (!row || row.disabled) return null;
    if (row.stale) {
      await this.db.query(
        `UPDATE sessions SET last_seen_at = now(), expires_at = now() + make_interval(mins => $2) WHERE id = $1`,
        [id, this.config.sessionIdleMinutes],
      );
    }
    return { actor: toActor(row, 'user', 'console', ['full'], { sessionId: id }), csrfToken: row.csrf_token };
  }

  private readonly apiKeyCache = new Map<string, { actor: Actor; until: number }>();

  /** The actor of an API key; `fresh` skips the short cache (for credential re-checks). */
  async actorFromApiKey(key: string, fresh = false): Promise<Actor | null> {
    if (!key.startsWith(API_KEY_PREFIX)) return null;
    const hash = sha256(key);
    const cached = this.apiKeyCache.get(hash);
    if (!fresh && cached && cached.until > Date.now()) return cached.actor;
    const actor = await this.readApiKey(hash);
    if (this.apiKeyCache.size >= API_KEY_CACHE_MAX) this.apiKeyCache.clear();
    if (actor) this.apiKeyCache.set(hash, { actor, until: Date.now() + API_KEY_CACHE_MS });
    else this.apiKeyCache.delete(hash);
    return actor;
  }

  private async readApiKey(hash: string): Promise<Actor | null> {
    const row = await maybeOne<PrincipalRow & { key_id: string; scopes: string[]; name: string }>(
      this.db,
      `SELECT k.id AS key_id, k.scopes, k.name,
              u.id AS user_id, u.email, u.first_name, u.last_name, u.role, u.privileges, u.disabled,
              rp.privileges AS role_privileges
       FROM api_keys k JOIN users u ON u.id = k.user_id JOIN role_privileges rp ON rp.role = u.role
       WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
      [hash],
    );
    if (!row || row.disabled) return null;
    return toActor(row, 'apiKey', 'api', row.scopes, { apiKeyId: row.key_id });
  }

  async changeOwnPassword(actor: Actor, currentPassword: string, newPassword: string): Promise<void> {
    if (!actor.userId) throw new Unauthenticated();
    const row = await this.users.findRowById(actor.userId);
    if (!row || !(await verifyPassword(row.password_hash, currentPassword))) {
      throw new Invalid([{ field: 'currentPassword', message: 'is not right' }]);
    }
    const hash = await hashPassword(newPassword, this.config.argon2);
    await this.db.transaction(async (tx) => {
      await tx.query('UPDATE users SET password_hash = $2, version = version + 1, updated_at = now() WHERE id = $1', [
        row.id,
        hash,
      ]);
      // Every session ends, this one too: the user signs in again with the new password.
      await tx.query('DELETE FROM sessions WHERE user_id = $1', [row.id]);
      await recordHistory(tx, actor, {
        recordType: 'user',
        recordId: row.id,
        action: 'update',
        changes: [{ field: 'password', from: null, to: '(changed)' }],
      });
    });
  }

  /** Creates an API key for `userId` (default: the actor); the key is returned once and stored hashed. */
  async createApiKey(
    actor: Actor | null,
    opts: { userId?: string; email?: string; name?: string; scope?: 'full' | 'lookup' },
  ) {
    let userId = opts.userId ?? actor?.userId ?? null;
    if (opts.email) {
      const row = await this.users.findRowByEmail(opts.email);
      if (!row) throw new NotFound(`User ${opts.email}`);
      userId = row.id;
    }
    if (!userId || !isUuid(userId)) throw new Invalid([{ field: 'userId', message: 'unknown user' }]);
    if (actor && userId !== actor.userId) requirePrivilege(actor, 'admin');
    const key = API_KEY_PREFIX + randomToken(32);
    return this.db.transaction(async (tx) => {
      const user = await maybeOne(tx, 'SELECT id FROM users WHERE id = $1', [userId]);
      if (!user) throw new Invalid([{ field: 'userId', message: 'unknown user' }]);
      const row = await one<ApiKeyRow>(
        tx,
        `INSERT INTO api_keys (user_id, name, prefix, key_hash, scopes) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
        [userId, opts.name ?? '', key.slice(0, 10), sha256(key), [opts.scope ?? 'full']],
      );
      await recordHistory(tx, actor, {
        recordType: 'apiKey',
        recordId: row.id,
        action: 'create',
        changes: [{ field: 'scopes', from: null, to: row.scopes }],
      });
      return { ...toApiKey(row), key };
    });
  }

  async listApiKeys(actor: Actor) {
    const all = actor.privileges.has('admin');
    const rows = await this.db.query<ApiKeyRow>(
      `SELECT * FROM api_keys WHERE ($1::boolean OR user_id = $2) ORDER BY created_at DESC LIMIT 1000`,
      [all, actor.userId],
    );
    return rows.map(toApiKey);
  }

  async revokeApiKey(actor: Actor, id: string): Promise<void> {
    if (!isUuid(id)) throw new NotFound('API key');
    await this.db.transaction(async (tx) => {
      const row = await maybeOne<ApiKeyRow>(tx, 'SELECT * FROM api_keys WHERE id = $1 FOR UPDATE', [id]);
      if (!row || row.revoked_at) throw new NotFound('API key');
      if (row.user_id !== actor.userId) requirePrivilege(actor, 'admin');
      await tx.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [id]);
      await recordHistory(tx, actor, {
        recordType: 'apiKey',
        recordId: id,
        action: 'delete',
        changes: [{ field: 'revokedAt', from: null, to: new Date().toISOString() }],
      });
    });
    this.apiKeyCache.clear();
  }
}

interface ApiKeyRow {
  id: string;
  user_id: string;
  name: string;
  prefix: string;
  scopes: string[];
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

function toApiKey(r: ApiKeyRow) {
  return {
    id: r.id,
    userId: r.user_id,
    name: r.name,
    prefix: r.prefix,
    scopes: r.scopes,
    createdAt: r.created_at.toISOString(),
    lastUsedAt: r.last_used_at?.toISOString() ?? null,
    revokedAt: r.revoked_at?.toISOString() ?? null,
  };
}

function toActor(
  row: PrincipalRow & { name?: string },
  kind: 'user' | 'apiKey',
  channel: Channel,
  scopes: string[],
  extra: { sessionId?: string; apiKeyId?: string },
): Actor {
  const person = displayName(row);
  return {
    kind,
    userId: row.user_id,
    name: kind === 'apiKey' ? `${person} (API key${row.name ? ` ${row.name}` : ''})` : person,
    role: row.role,
    privileges: new Set(effectivePrivileges(row.role, row.role_privileges, row.privileges)),
    channel,
    scopes,
    ...extra,
  };
}
