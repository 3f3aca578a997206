import type { Db, Queryable } from '../../db/adapter.js';
import { maybeOne, one } from '../../db/adapter.js';
import { systemClock, type Clock } from '../../clock.js';
import type { Config } from '../../config.js';
import type { Actor, Channel } from '../../http/actor.js';
import { requirePrivilege } from '../../http/actor.js';
import { Conflict, Invalid, NotFound, TooManyRequests, Unauthenticated } from '../../http/errors.js';
import { isUuid } from '../../http/ids.js';
import { recordAudit } from '../audit/service.js';
import type { OutgoingMail } from '../email/outbound.js';
import { recordHistory } from '../history/service.js';
import * as store from './auth-store.js';
import { describeDevice } from './devices.js';
import { requireGoodPassword } from './password-policy.js';
import { effectivePrivileges, type Role } from '../../http/privileges.js';
import { displayName, UsersService } from './service.js';
import { hashPassword, randomToken, sha256, verifyPassword } from './secrets.js';
import {
  matchingStep,
  newRecoveryCodes,
  newTotpSecret,
  normaliseRecoveryCode,
  otpauthUri,
  qrDataUrl,
  RECOVERY_CODE_COUNT,
} from './totp.js';

/** Failed sign-ins allowed per (account, address) and per address in one window. */
export const THROTTLE = { windowSeconds: 15 * 60, perAccountAndAddress: 5, perAddress: 50 };
/**
 * The second step: a challenge lives 5 minutes and takes 5 codes; wrong codes
 * are also counted per user across challenges (10 per throttle window), so a
 * stolen password cannot buy endless guesses by signing in again.
 */
export const SECOND_FACTOR = { challengeMinutes: 5, attemptsPerChallenge: 5, failuresPerUser: 10 };
/** Staff password reset links: 30 minutes, once; requests per (email, address) and per address in a window. */
const PASSWORD_RESET = { minutes: 30, perEmailAndAddress: 5, perAddress: 20 };

const API_KEY_PREFIX = 'sb_';
/** API key scopes: `full` acts as the user; `lookup` only screen-pop lookups; `email.ingest` only the email intake. */
type ApiKeyScope = 'full' | 'lookup' | 'email.ingest';

/**
 * An API key's actor is kept in this process for at most this long, so a
 * platform calling the lookup API hundreds of times a second does not re-read
 * its key (three joined tables) on every request. Revoking a key takes effect
 * at once in the process that revoked it and within this time in the others;
 * so does disabling a user or changing privileges. Sessions are not cached.
 */
const API_KEY_CACHE_MS = 5000;
const API_KEY_CACHE_MAX = 10_000;
/** `last_used_at` of a key is written at most this often. */
const API_KEY_USE_WRITE_MS = 60_000;

/** Where a request came from: recorded on sessions and in the audit trail. */
export interface RequestInfo {
  ip: string;
  userAgent?: string | null;
}

type LoginResult =
  | { kind: 'session'; token: string; csrfToken: string; userId: string }
  | { kind: 'secondFactor'; challengeToken: string };

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

/** What the email module offers this one: mail queued in the caller's transaction. */
interface MailQueue {
  enqueue(mail: OutgoingMail, tx?: Queryable): Promise<unknown>;
}

/** An argon2 hash of a random password, verified when the email is unknown so both answers take as long. */
let dummyHash: Promise<string> | null = null;

/**
 * Staff sign-in and everything that guards it: throttled password sign-in,
 * the second factor (TOTP, recovery codes), sessions (idle and absolute
 * expiry, listing, revoking), password change and reset by email, API keys.
 * Security-relevant outcomes go to the audit trail.
 */
export class AuthService {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly users: UsersService,
    private readonly clock: Clock = systemClock,
    /** The outbound email queue (password reset links); scripts that only create keys leave it out. */
    private readonly mail: MailQueue | null = null,
  ) {
    // A disabled user, a new role or new privileges apply to API keys at once in this process.
    users.onAccessChange(() => this.apiKeyCache.clear());
  }

  private now(): Date {
    return this.clock.now();
  }

  // ---------------------------------------------------------------- sign-in

  private throttleKeys(email: string, ip: string): [string, string] {
    return [`acct:${email.trim().toLowerCase()}|ip:${ip}`, `ip:${ip}`];
  }

  /**
   * Counts this attempt before anything is verified (atomically, per key), and
   * refuses it with 429 once a key is over its limit: a burst of concurrent
   * guesses gets exactly as many verifications as the limit allows.
   */
  private async countSignInAttempt(email: string, info: RequestInfo): Promise<void> {
    const [pair, addr] = this.throttleKeys(email, info.ip);
    const counts = await store.countAttempt(this.db, [pair, addr], THROTTLE.windowSeconds, this.now());
    for (const c of counts) {
      const limit = c.key === pair ? THROTTLE.perAccountAndAddress : THROTTLE.perAddress;
      if (c.failures > limit) {
        // One audit line when a key crosses its limit, not one per refused attempt.
        if (c.failures === limit + 1) {
          await recordAudit(this.db, null, {
            action: 'auth.signin_throttled',
            ip: info.ip,
            userAgent: info.userAgent,
            details: { email: email.slice(0, 254), scope: c.key === pair ? 'account and address' : 'address' },
          });
        }
        throw new TooManyRequests(c.retry);
      }
    }
  }

  /**
   * Signs in with email and password. An unknown email, a wrong password and
   * a disabled user get the same answer. Throttling counts per (account,
   * address), so an attacker elsewhere cannot lock the real user out, and per
   * address, so one address cannot spray. A user with a second factor gets a
   * challenge instead of a session.
   */
  async login(email: string, password: string, info: RequestInfo): Promise<LoginResult> {
    await this.countSignInAttempt(email, info);
    const row = await store.credentialsByEmail(this.db, email);
    dummyHash ??= hashPassword(randomToken(), this.config.argon2);
    const ok = row
      ? await verifyPassword(row.password_hash, password)
      : (await verifyPassword(await dummyHash, password), false);
    if (!row || !ok || row.disabled) {
      await recordAudit(this.db, null, {
        action: 'auth.signin_failed',
        targetType: row ? 'user' : null,
        targetId: row?.id ?? null,
        ip: info.ip,
        userAgent: info.userAgent,
        details: {
          email: email.slice(0, 254),
          reason: !row ? 'unknown email' : row.disabled ? 'disabled' : 'wrong password',
        },
      });
      throw new Unauthenticated('Email or password is not right');
    }
    const [pair, addr] = this.throttleKeys(email, info.ip);
    await store.forgiveAttempt(this.db, pair, [addr]);
    if (row.totp_enabled) {
      const challengeToken = randomToken();
      await store.insertChallenge(this.db, {
        idHash: sha256(challengeToken),
        userId: row.id,
        ip: info.ip,
        userAgent: info.userAgent ?? null,
        now: this.now(),
        minutes: SECOND_FACTOR.challengeMinutes,
      });
      return { kind: 'secondFactor', challengeToken };
    }
    return this.openSession(row, info, null);
  }

  /** The second step: a current TOTP code or an unused recovery code turns the challenge into a session. */
  async completeSecondFactor(
    challengeToken: string,
    answer: { code?: string; recoveryCode?: string },
    info: RequestInfo,
  ): Promise<LoginResult & { kind: 'session' }> {
    const now = this.now();
    const challengeId = sha256(challengeToken);
    const challenge = await store.useChallengeAttempt(this.db, challengeId, now, SECOND_FACTOR.attemptsPerChallenge);
    if (!challenge) {
      throw new Unauthenticated('The sign-in has expired or took too many codes: sign in again with your password');
    }
    const userKey = `2fa:${challenge.user_id}`;
    const [count] = await store.countAttempt(this.db, [userKey], THROTTLE.windowSeconds, now);
    if (count.failures > SECOND_FACTOR.failuresPerUser) throw new TooManyRequests(count.retry);

    const row = await store.credentialsById(this.db, challenge.user_id);
    let method: 'totp' | 'recoveryCode' | null = null;
    if (row && !row.disabled) {
      if (answer.code) {
        const totp = await store.totpOf(this.db, row.id);
        const step = totp?.enabled_at ? matchingStep(totp.secret, answer.code, now) : null;
        if (step !== null && (await store.acceptTotpStep(this.db, row.id, step, now, false))) method = 'totp';
      } else if (answer.recoveryCode) {
        const hash = sha256(normaliseRecoveryCode(answer.recoveryCode));
        if (await store.useRecoveryCode(this.db, row.id, hash, now)) method = 'recoveryCode';
      }
    }
    if (!row || !method) {
      await recordAudit(this.db, null, {
        action: 'auth.second_factor_failed',
        targetType: 'user',
        targetId: challenge.user_id,
        ip: info.ip,
        userAgent: info.userAgent,
        details: { attempt: challenge.attempts, method: answer.code ? 'totp' : 'recoveryCode' },
      });
      throw new Invalid([
        answer.code
          ? { field: 'code', message: 'the code is not right (or was already used): type the current one' }
          : { field: 'recoveryCode', message: 'the recovery code is not right or was already used' },
      ]);
    }
    await store.deleteChallenge(this.db, challengeId);
    await store.clearThrottle(this.db, userKey);
    return this.openSession(row, info, method);
  }

  private async openSession(
    row: store.Credentials,
    info: RequestInfo,
    secondFactor: 'totp' | 'recoveryCode' | null,
  ): Promise<LoginResult & { kind: 'session' }> {
    const token = randomToken();
    const csrfToken = randomToken();
    await this.db.transaction(async (tx) => {
      await store.insertSession(tx, {
        idHash: sha256(token),
        userId: row.id,
        csrfToken,
        ip: info.ip,
        userAgent: info.userAgent ?? null,
        now: this.now(),
        idleMinutes: this.config.sessionIdleMinutes,
        maxHours: this.config.sessionMaxHours,
      });
      await recordAudit(tx, this.auditActorOf(row, info), {
        action: 'auth.signin',
        targetType: 'user',
        targetId: row.id,
        details: {
          email: row.email,
          secondFactor,
          ...(secondFactor === 'recoveryCode' ? { recoveryCodesLeft: await store.recoveryCodesLeft(tx, row.id) } : {}),
        },
      });
    });
    return { kind: 'session', token, csrfToken, userId: row.id };
  }

  /** The actor a sign-in is recorded under (the user, with the request's address). */
  private auditActorOf(row: store.Credentials, info: RequestInfo): Actor {
    return {
      kind: 'user',
      userId: row.id,
      name: displayName(row),
      role: row.role,
      privileges: new Set(),
      channel: 'console',
      scopes: ['full'],
      ip: info.ip,
      userAgent: info.userAgent ?? undefined,
    };
  }

  async logout(actor: Actor): Promise<void> {
    if (!actor.sessionId || !actor.userId) return;
    await this.db.transaction(async (tx) => {
      await store.deleteSession(tx, actor.sessionId!);
      await recordAudit(tx, actor, { action: 'auth.signout', targetType: 'user', targetId: actor.userId });
    });
  }

  /**
   * Resolves a session cookie to an actor. Activity (`touch`, the default)
   * slides the idle expiry, at most once a minute and never past the absolute
   * lifetime; a credential re-check (an open event stream every minute) passes
   * `touch: false` and so never keeps an unattended console signed in.
   */
  async actorFromSession(
    token: string,
    opts: { touch?: boolean; ip?: string } = {},
  ): Promise<{ actor: Actor; csrfToken: string } | null> {
    const id = sha256(token);
    const now = this.now();
    const row = await store.findSession(this.db, id, now);
    if (!row || row.disabled) return null;
    if (row.stale && opts.touch !== false) {
      await store.touchSession(this.db, id, now, this.config.sessionIdleMinutes, opts.ip ?? null);
    }
    const actor = toActor(row, 'user', 'console', ['full'], { sessionId: id, sessionPublicId: row.public_id });
    if (row.must_enrol) actor.mustEnrolTwoFactor = true;
    return { actor, csrfToken: row.csrf_token };
  }

  private readonly apiKeyCache = new Map<string, { actor: Actor; until: number }>();
  private readonly keyUseWritten = new Map<string, number>();

  /**
   * The actor of an API key; `fresh` skips the short cache (for credential
   * re-checks). `use` (a request) records the key's last use, at most once a
   * minute per key.
   */
  async actorFromApiKey(key: string, fresh = false, use?: { ip?: string }): Promise<Actor | null> {
    if (!key.startsWith(API_KEY_PREFIX)) return null;
    const hash = sha256(key);
    const cached = this.apiKeyCache.get(hash);
    let actor: Actor | null;
    if (!fresh && cached && cached.until > Date.now()) actor = cached.actor;
    else {
      actor = await this.readApiKey(hash);
      if (this.apiKeyCache.size >= API_KEY_CACHE_MAX) this.apiKeyCache.clear();
      if (actor) this.apiKeyCache.set(hash, { actor, until: Date.now() + API_KEY_CACHE_MS });
      else this.apiKeyCache.delete(hash);
    }
    if (actor?.apiKeyId && use) await this.noteKeyUse(actor.apiKeyId, use.ip ?? null);
    return actor;
  }

  private async noteKeyUse(keyId: string, ip: string | null): Promise<void> {
    const now = this.now().getTime();
    const last = this.keyUseWritten.get(keyId);
    if (last !== undefined && now - last < API_KEY_USE_WRITE_MS) return;
    // Noted before the write: concurrent requests of the same key do not all write.
    if (this.keyUseWritten.size >= API_KEY_CACHE_MAX) this.keyUseWritten.clear();
    this.keyUseWritten.set(keyId, now);
    await store.noteApiKeyUse(this.db, keyId, new Date(now), ip);
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

  // ---------------------------------------------------------------- passwords

  async changeOwnPassword(actor: Actor, currentPassword: string, newPassword: string): Promise<void> {
    if (!actor.userId) throw new Unauthenticated();
    const row = await store.credentialsById(this.db, actor.userId);
    if (!row || !(await verifyPassword(row.password_hash, currentPassword))) {
      throw new Invalid([{ field: 'currentPassword', message: 'is not right' }]);
    }
    await requireGoodPassword('newPassword', newPassword, [row.email, row.first_name, row.last_name]);
    const hash = await hashPassword(newPassword, this.config.argon2);
    await this.db.transaction(async (tx) => {
      await store.setPasswordHash(tx, row.id, hash);
      // Every session ends, this one too: the user signs in again with the new password.
      await store.deleteSessions(tx, row.id);
      await recordHistory(tx, actor, {
        recordType: 'user',
        recordId: row.id,
        action: 'update',
        changes: [{ field: 'password', from: null, to: '(changed)' }],
      });
      await recordAudit(tx, actor, { action: 'auth.password_changed', targetType: 'user', targetId: row.id });
    });
  }

  /** The console's address, for links in emails. */
  private consoleUrl(path: string): string {
    const base = (this.config.publicUrl ?? `http://localhost:${this.config.port}`).replace(/\/+$/, '');
    return `${base}${path}`;
  }

  /**
   * "Forgot password": emails a single-use link (30 minutes) when the address
   * belongs to an active user. The caller answers the same whatever happened
   * here, so nobody learns which addresses have accounts; requests are
   * throttled per (email, address) and per address, silently.
   */
  async requestPasswordReset(email: string, info: RequestInfo): Promise<void> {
    const now = this.now();
    const keys = [`reset:${email.trim().toLowerCase()}|ip:${info.ip}`, `reset-ip:${info.ip}`];
    const counts = await store.countAttempt(this.db, keys, THROTTLE.windowSeconds, now);
    const over = counts.some(
      (c) => c.failures > (c.key === keys[0] ? PASSWORD_RESET.perEmailAndAddress : PASSWORD_RESET.perAddress),
    );
    if (over) return;
    const row = await store.credentialsByEmail(this.db, email);
    await this.db.transaction(async (tx) => {
      await recordAudit(tx, null, {
        action: 'auth.password_reset_requested',
        targetType: row ? 'user' : null,
        targetId: row?.id ?? null,
        ip: info.ip,
        userAgent: info.userAgent,
        details: { email: email.slice(0, 254), sent: Boolean(row && !row.disabled) },
      });
      if (!row || row.disabled) return;
      const token = randomToken(32);
      await store.insertReset(tx, { tokenHash: sha256(token), userId: row.id, now, minutes: PASSWORD_RESET.minutes });
      if (!this.mail) throw new Error('AuthService was built without an email queue');
      await this.mail.enqueue(
        {
          kind: 'passwordReset',
          to: [row.email],
          subject: 'Reset your Switchboard password',
          body: [
            `Hello ${displayName(row)},`,
            '',
            'Someone (we hope you) asked to reset your Switchboard password. Choose a new one here:',
            this.consoleUrl(`/reset-password#token=${token}`),
            '',
            `The link works once, for ${PASSWORD_RESET.minutes} minutes. If you did not ask, ignore this message;`,
            'your password stays as it is.',
          ].join('\n'),
          sensitive: true,
        },
        tx,
      );
    });
  }

  /** Sets a new password with a reset token (unused, unexpired, once); every session of the user ends. */
  async confirmPasswordReset(token: string, password: string, info: RequestInfo): Promise<void> {
    const now = this.now();
    const badToken = new Invalid([{ field: 'token', message: 'the link is not valid any more: ask for a new one' }]);
    // The token is checked before the password, so a dead link says so first; it is used only with a good password.
    const pending = await maybeOne<{ user_id: string }>(
      this.db,
      'SELECT user_id FROM staff_password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2',
      [sha256(token), now],
    );
    const row = pending ? await store.credentialsById(this.db, pending.user_id) : null;
    if (!row || row.disabled) throw badToken;
    await requireGoodPassword('password', password, [row.email, row.first_name, row.last_name]);
    const hash = await hashPassword(password, this.config.argon2);
    await this.db.transaction(async (tx) => {
      const userId = await store.useReset(tx, sha256(token), now);
      if (userId !== row.id) throw badToken;
      await store.setPasswordHash(tx, userId, hash);
      await store.deleteSessions(tx, userId);
      await tx.query('DELETE FROM signin_challenges WHERE user_id = $1', [userId]);
      await recordHistory(tx, this.auditActorOf(row, info), {
        recordType: 'user',
        recordId: userId,
        action: 'update',
        changes: [{ field: 'password', from: null, to: '(reset by email)' }],
      });
      await recordAudit(tx, this.auditActorOf(row, info), {
        action: 'auth.password_reset',
        targetType: 'user',
        targetId: userId,
      });
    });
  }

  // ---------------------------------------------------------------- two-factor enrolment

  async twoFactorStatus(actor: Actor): Promise<{ enabled: boolean; required: boolean; recoveryCodesLeft: number }> {
    return this.twoFactorStatusOf(requireUser(actor));
  }

  /** For this module's routes (who am I). */
  async twoFactorStatusOf(userId: string): Promise<{ enabled: boolean; required: boolean; recoveryCodesLeft: number }> {
    const row = await store.credentialsById(this.db, userId);
    return {
      enabled: row?.totp_enabled ?? false,
      required: row?.role_requires_two_factor ?? false,
      recoveryCodesLeft: row?.totp_enabled ? await store.recoveryCodesLeft(this.db, userId) : 0,
    };
  }

  /** Starts enrolment: a new secret, its otpauth:// address and QR code (nothing is enabled until confirmed). */
  async startTwoFactor(actor: Actor): Promise<{ secret: string; otpauthUri: string; qrCode: string }> {
    const userId = requireUser(actor);
    const row = await store.credentialsById(this.db, userId);
    if (!row) throw new Unauthenticated();
    const secret = newTotpSecret();
    if (!(await store.startTotp(this.db, userId, secret, this.now()))) {
      throw new Conflict('Two-factor sign-in is already on: turn it off first to set up another authenticator');
    }
    const uri = otpauthUri(secret, row.email);
    return { secret, otpauthUri: uri, qrCode: await qrDataUrl(uri) };
  }

  /** Confirms enrolment with a first code from the app; answers the recovery codes, shown once. */
  async confirmTwoFactor(actor: Actor, code: string): Promise<{ recoveryCodes: string[] }> {
    const userId = requireUser(actor);
    const now = this.now();
    const pending = await store.totpOf(this.db, userId);
    if (!pending) throw new Invalid([{ field: 'code', message: 'start the set-up first' }]);
    if (pending.enabled_at) throw new Conflict('Two-factor sign-in is already on');
    const step = matchingStep(pending.secret, code, now);
    const codes = newRecoveryCodes();
    await this.db.transaction(async (tx) => {
      if (step === null || !(await store.acceptTotpStep(tx, userId, step, now, true))) {
        throw new Invalid([{ field: 'code', message: 'the code is not right: type the one the app shows now' }]);
      }
      await store.replaceRecoveryCodes(
        tx,
        userId,
        codes.map((c) => sha256(normaliseRecoveryCode(c))),
      );
      await recordAudit(tx, actor, { action: 'auth.two_factor_enabled', targetType: 'user', targetId: userId });
    });
    return { recoveryCodes: codes };
  }

  /** Turns the second factor off (the password again, so an unattended console cannot). */
  async disableTwoFactor(actor: Actor, password: string): Promise<void> {
    const userId = requireUser(actor);
    await this.reauthenticate(userId, password);
    await this.db.transaction(async (tx) => {
      if (!(await store.deleteTotp(tx, userId))) throw new NotFound('Two-factor sign-in');
      await recordAudit(tx, actor, { action: 'auth.two_factor_disabled', targetType: 'user', targetId: userId });
    });
  }

  async regenerateRecoveryCodes(actor: Actor, password: string): Promise<{ recoveryCodes: string[] }> {
    const userId = requireUser(actor);
    await this.reauthenticate(userId, password);
    const codes = newRecoveryCodes();
    await this.db.transaction(async (tx) => {
      const totp = await store.totpOf(tx, userId);
      if (!totp?.enabled_at) throw new Invalid([{ field: 'password', message: 'two-factor sign-in is not on' }]);
      await store.replaceRecoveryCodes(
        tx,
        userId,
        codes.map((c) => sha256(normaliseRecoveryCode(c))),
      );
      await recordAudit(tx, actor, {
        action: 'auth.recovery_codes_regenerated',
        targetType: 'user',
        targetId: userId,
        details: { count: RECOVERY_CODE_COUNT },
      });
    });
    return { recoveryCodes: codes };
  }

  /** An administrator removes a user's authenticator (lost phone and codes); the user's sessions end. */
  async resetTwoFactor(actor: Actor, userId: string): Promise<void> {
    requirePrivilege(actor, 'admin');
    if (!isUuid(userId)) throw new NotFound('User');
    await this.db.transaction(async (tx) => {
      const row = await store.credentialsById(tx, userId);
      if (!row) throw new NotFound('User');
      if (!(await store.deleteTotp(tx, userId))) throw new NotFound('Two-factor sign-in');
      await store.deleteSessions(tx, userId);
      await recordAudit(tx, actor, {
        action: 'auth.two_factor_reset',
        targetType: 'user',
        targetId: userId,
        details: { email: row.email },
      });
    });
  }

  private async reauthenticate(userId: string, password: string): Promise<void> {
    const row = await store.credentialsById(this.db, userId);
    if (!row || !(await verifyPassword(row.password_hash, password))) {
      throw new Invalid([{ field: 'password', message: 'is not right' }]);
    }
  }

  // ---------------------------------------------------------------- sessions

  /** My sessions; or (an administrator) those of `userId`. */
  async listSessions(actor: Actor, userId?: string): Promise<SessionInfo[]> {
    if (userId !== undefined) {
      requirePrivilege(actor, 'admin');
      if (!isUuid(userId) || !(await this.users.getIdentity(userId))) throw new NotFound('User');
    }
    const rows = await store.liveSessionsOf(this.db, userId ?? requireUser(actor), this.now());
    return rows.map((r) => ({
      id: r.public_id,
      createdAt: r.created_at.toISOString(),
      lastSeenAt: r.last_seen_at.toISOString(),
      expiresAt: (r.expires_at < r.absolute_expires_at ? r.expires_at : r.absolute_expires_at).toISOString(),
      ip: r.ip,
      userAgent: r.user_agent,
      device: describeDevice(r.user_agent),
      current: r.id === actor.sessionId,
    }));
  }

  /** Ends one of my sessions (any but this one: signing out ends this one). */
  async revokeSession(actor: Actor, publicId: string): Promise<void> {
    const userId = requireUser(actor);
    if (!isUuid(publicId)) throw new NotFound('Session');
    await this.db.transaction(async (tx) => {
      const n = await store.deleteSessions(tx, userId, { publicId });
      if (n === 0) throw new NotFound('Session');
      await recordAudit(tx, actor, {
        action: 'auth.session_revoked',
        targetType: 'user',
        targetId: userId,
        details: { session: publicId },
      });
    });
  }

  /** Ends every session of mine but the one making the request. */
  async revokeOtherSessions(actor: Actor): Promise<number> {
    const userId = requireUser(actor);
    return this.db.transaction(async (tx) => {
      const n = await store.deleteSessions(tx, userId, { exceptIdHash: actor.sessionId ?? '' });
      await recordAudit(tx, actor, {
        action: 'auth.sessions_revoked',
        targetType: 'user',
        targetId: userId,
        details: { count: n, kept: 'current' },
      });
      return n;
    });
  }

  /** An administrator ends every session of a user (API keys are revoked separately). */
  async revokeUserSessions(actor: Actor, userId: string): Promise<number> {
    requirePrivilege(actor, 'admin');
    if (!isUuid(userId) || !(await this.users.getIdentity(userId))) throw new NotFound('User');
    return this.db.transaction(async (tx) => {
      const n = await store.deleteSessions(tx, userId);
      await recordAudit(tx, actor, {
        action: 'auth.sessions_revoked',
        targetType: 'user',
        targetId: userId,
        details: { count: n },
      });
      return n;
    });
  }

  /** Housekeeping for the job runner. */
  async prune(): Promise<void> {
    await store.pruneExpired(this.db, this.now());
  }

  // ---------------------------------------------------------------- API keys

  /** Creates an API key for `userId` (default: the actor); the key is returned once and stored hashed. */
  async createApiKey(
    actor: Actor | null,
    opts: { userId?: string; email?: string; name?: string; scope?: ApiKeyScope },
  ) {
    let userId = opts.userId ?? actor?.userId ?? null;
    if (opts.email) {
      const row = await this.users.findRowByEmail(opts.email);
      if (!row) throw new NotFound(`User ${opts.email}`);
      userId = row.id;
    }
    if (!userId || !isUuid(userId)) throw new Invalid([{ field: 'userId', message: 'unknown user' }]);
    if (actor && userId !== actor.userId) requirePrivilege(actor, 'admin');
    // The intake creates customers and cases whoever holds the key: only an administrator hands one out.
    if (actor && opts.scope === 'email.ingest') requirePrivilege(actor, 'admin');
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
      await recordAudit(tx, actor, {
        action: 'api_key.created',
        targetType: 'apiKey',
        targetId: row.id,
        details: { name: row.name, prefix: row.prefix, scopes: row.scopes, userId },
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
      const now = this.now();
      await tx.query('UPDATE api_keys SET revoked_at = $2 WHERE id = $1', [id, now]);
      await recordHistory(tx, actor, {
        recordType: 'apiKey',
        recordId: id,
        action: 'delete',
        changes: [{ field: 'revokedAt', from: null, to: now.toISOString() }],
      });
      await recordAudit(tx, actor, {
        action: 'api_key.revoked',
        targetType: 'apiKey',
        targetId: id,
        details: { name: row.name, prefix: row.prefix, scopes: row.scopes, userId: row.user_id },
      });
    });
    this.apiKeyCache.clear();
  }
}

export interface SessionInfo {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
  device: string;
  current: boolean;
}

function requireUser(actor: Actor): string {
  if (!actor.userId || actor.kind !== 'user') throw new Unauthenticated('Sign in as yourself for this');
  return actor.userId;
}

interface ApiKeyRow {
  id: string;
  user_id: string;
  name: string;
  prefix: string;
  scopes: string[];
  created_at: Date;
  last_used_at: Date | null;
  last_used_ip: string | null;
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
    lastUsedIp: r.last_used_ip,
    revokedAt: r.revoked_at?.toISOString() ?? null,
  };
}

function toActor(
  row: PrincipalRow & { name?: string },
  kind: 'user' | 'apiKey',
  channel: Channel,
  scopes: string[],
  extra: { sessionId?: string; sessionPublicId?: string; apiKeyId?: string },
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
