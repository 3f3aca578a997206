import type { Config } from '../../config.js';
import { inTransaction, type Db, type Queryable } from '../../db/adapter.js';
import { type Actor, requirePrivilege, systemActor } from '../../http/actor.js';
import { Conflict, Invalid, NotFound, TooManyRequests, Unauthenticated } from '../../http/errors.js';
import type { Customer } from '../customers/schema.js';
import type { CustomersService } from '../customers/service.js';
import type { EmailService } from '../email/service.js';
import { recordHistory } from '../history/service.js';
import { THROTTLE } from '../users/auth-service.js';
import { generatePassword, hashPassword, randomToken, sha256, verifyPassword } from '../users/secrets.js';
import type { PortalAccess, PortalAccessPut } from './schema.js';
import * as store from './store.js';
import type { AccountRow } from './store.js';

/** How long a Support Center session lives without use. */
export const PORTAL_SESSION_IDLE_MINUTES = 60;
/** How long a password reset link works. */
const RESET_TOKEN_MINUTES = 60;
/** Reset requests allowed per (login, address) in the throttle window. */
const RESET_REQUESTS_PER_WINDOW = 5;

/** A signed-in customer, as the portal routes see them. */
export interface PortalSession {
  sessionId: string;
  customerId: string;
  csrfToken: string;
}

function toAccess(customerId: string, r: AccountRow | null): PortalAccess {
  return {
    customerId,
    enabled: r?.enabled ?? false,
    hasPassword: Boolean(r?.password_hash),
    lastSignInAt: r?.last_sign_in_at?.toISOString() ?? null,
    passwordChangedAt: r?.password_hash ? r.password_changed_at.toISOString() : null,
    version: r?.version ?? 0,
  };
}

let dummyHash: Promise<string> | null = null;

/**
 * The Support Center's accounts (S1): agents grant access and passwords;
 * customers sign in (argon2id, throttled like staff sign-in, one answer for
 * unknown account and wrong password), keep a session with its own cookie and
 * CSRF token, and reset a forgotten password by email (single-use token).
 */
export class PortalService {
  private readonly system = systemActor('portal', 'Support Center');

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly deps: { customers: CustomersService; email: EmailService },
  ) {}

  /** The public address of the Support Center (links in emails). */
  portalUrl(path = ''): string {
    const base = (this.config.publicUrl ?? `http://localhost:${this.config.port}`).replace(/\/+$/, '');
    return `${base}/portal${path}`;
  }

  // ---------------------------------------------------------------- the agent's side

  async getAccess(actor: Actor, customerId: string): Promise<PortalAccess> {
    requirePrivilege(actor, 'customers.view');
    const customer = await this.deps.customers.get(actor, customerId);
    return toAccess(customer.id, await store.findAccount(this.db, customer.id));
  }

  /**
   * "Restrict access to the Support Center" (S1): enable or disable, set or
   * generate a password; on save the sign-in details are emailed through the
   * outbox in the same transaction. A new password or disabling ends the
   * customer's portal sessions.
   */
  async setAccess(
    actor: Actor,
    customerId: string,
    input: PortalAccessPut,
    expectedVersion: number | null,
  ): Promise<
    PortalAccess & {
      generatedPassword?: string;
      credentialsSent: boolean;
      mailRelayConfigured: boolean;
      signInUrl: string;
    }
  > {
    requirePrivilege(actor, 'customers.edit');
    const customer = await this.deps.customers.get(actor, customerId);
    if (input.password !== undefined && input.generatePassword) {
      throw new Invalid([{ field: 'password', message: 'give a password or ask for one to be generated, not both' }]);
    }
    const generated = input.generatePassword ? generatePassword() : undefined;
    const password = input.password ?? generated;
    const sendCredentials = (input.sendCredentials ?? true) && input.enabled && password !== undefined;
    if (sendCredentials && !customer.email) {
      throw new Invalid([
        { field: 'sendCredentials', message: 'the customer has no email address to send the sign-in details to' },
      ]);
    }
    const hash = password !== undefined ? await hashPassword(password, this.config.argon2) : null;
    const saved = await this.db.transaction(async (tx) => {
      const before = await store.findAccount(tx, customer.id, true);
      if (expectedVersion !== null && expectedVersion !== (before?.version ?? 0)) {
        throw Conflict.stale(toAccess(customer.id, before));
      }
      if (input.enabled && !before?.password_hash && hash === null) {
        throw new Invalid([{ field: 'password', message: 'give a password or ask for one to be generated' }]);
      }
      if (!before && !input.enabled) return toAccess(customer.id, null);
      const after = await store.upsertAccount(tx, customer.id, input.enabled, hash);
      if (hash !== null || !input.enabled) await store.deleteSessionsOf(tx, customer.id);
      const changes = [];
      if ((before?.enabled ?? false) !== after.enabled) {
        changes.push({ field: 'portalAccess', from: before?.enabled ?? false, to: after.enabled });
      }
      if (hash !== null) changes.push({ field: 'portalPassword', from: null, to: '(changed)' });
      if (changes.length > 0) {
        await recordHistory(tx, actor, { recordType: 'customer', recordId: customer.id, action: 'update', changes });
      }
      if (sendCredentials) {
        await this.deps.email.enqueue(
          {
            kind: 'credentials',
            to: [customer.email!],
            subject: 'Your Support Center sign-in',
            body: this.credentialsText(customer, password!),
            sensitive: true,
          },
          tx,
        );
      }
      return toAccess(customer.id, after);
    });
    return {
      ...saved,
      ...(generated ? { generatedPassword: generated } : {}),
      credentialsSent: sendCredentials,
      mailRelayConfigured: this.deps.email.relayConfigured,
      signInUrl: this.portalUrl(),
    };
  }

  private credentialsText(customer: Customer, password: string): string {
    return [
      `Hello ${customer.displayName},`,
      '',
      'You can now follow your support cases and write to us in the Support Center:',
      this.portalUrl(),
      '',
      `Sign in with your account number ${customer.accountNumber}${customer.email ? ` (or your email address ${customer.email})` : ''}`,
      `and this password: ${password}`,
      '',
      'You can change the password once signed in.',
    ].join('\n');
  }

  // ---------------------------------------------------------------- sign-in

  private throttleKeys(login: string, ip: string): string[] {
    return [`acct:${login.trim().toLowerCase()}|ip:${ip}`, `ip:${ip}`];
  }

  /** Counts this attempt before the password is verified (atomic), refusing it once over the limit. */
  private async countAttempt(login: string, ip: string): Promise<void> {
    const [pair] = this.throttleKeys(login, ip);
    for (const r of await store.countAttempt(this.db, this.throttleKeys(login, ip), THROTTLE.windowSeconds)) {
      const limit = r.key === pair ? THROTTLE.perAccountAndAddress : THROTTLE.perAddress;
      if (r.failures > limit) throw new TooManyRequests(r.retry);
    }
  }

  /** The customer a login names: an email address, or an account number. */
  private async customerOf(login: string): Promise<Customer | null> {
    const l = login.trim();
    if (!l) return null;
    return l.includes('@')
      ? this.deps.customers.findByEmail(this.system, l)
      : this.deps.customers.findByAccountNumber(this.system, l);
  }

  /** Signs a customer in; unknown account, no access and wrong password all get the same answer. */
  async login(login: string, password: string, ip: string) {
    await this.countAttempt(login, ip);
    const customer = await this.customerOf(login);
    const account = customer ? await store.findAccount(this.db, customer.id) : null;
    dummyHash ??= hashPassword(randomToken(), this.config.argon2);
    const usable = account && account.enabled && account.password_hash;
    const ok = usable
      ? await verifyPassword(account.password_hash, password)
      : (await verifyPassword(await dummyHash, password), false);
    if (!ok || !customer) throw new Unauthenticated('Account or password is not right');
    await store.clearThrottle(this.db, this.throttleKeys(login, ip)[0]);
    await store.forgiveAttempt(this.db, this.throttleKeys(login, ip)[1]);
    const token = randomToken();
    const csrfToken = randomToken();
    await this.db.transaction(async (tx) => {
      await store.insertSession(tx, sha256(token), customer.id, csrfToken, PORTAL_SESSION_IDLE_MINUTES);
      await store.noteSignIn(tx, customer.id);
    });
    return { token, csrfToken, customer };
  }

  /** The session of a portal cookie, sliding its idle expiry; null when gone, expired or access was withdrawn. */
  async session(token: string): Promise<PortalSession | null> {
    const id = sha256(token);
    const row = await store.findSession(this.db, id);
    if (!row) return null;
    if (row.stale) await store.slideSession(this.db, id, PORTAL_SESSION_IDLE_MINUTES);
    return { sessionId: id, customerId: row.customer_id, csrfToken: row.csrf_token };
  }

  async logout(s: PortalSession): Promise<void> {
    await store.deleteSession(this.db, s.sessionId);
  }

  /** The signed-in customer's own record (only what the portal shows). */
  async me(s: PortalSession): Promise<Customer> {
    const customer = await this.deps.customers.get(this.system, s.customerId).catch(() => null);
    if (!customer) throw new Unauthenticated();
    return customer;
  }

  async changePassword(s: PortalSession, current: string, next: string): Promise<void> {
    const account = await store.findAccount(this.db, s.customerId);
    if (!account || !(await verifyPassword(account.password_hash, current))) {
      throw new Invalid([{ field: 'currentPassword', message: 'is not right' }]);
    }
    const hash = await hashPassword(next, this.config.argon2);
    await this.db.transaction(async (tx) => {
      await store.setPassword(tx, s.customerId, hash);
      await store.deleteSessionsOf(tx, s.customerId);
      await recordHistory(tx, this.system, {
        recordType: 'customer',
        recordId: s.customerId,
        action: 'update',
        changes: [{ field: 'portalPassword', from: null, to: '(changed by the customer)' }],
      });
    });
  }

  // ---------------------------------------------------------------- password reset

  /**
   * Emails a reset link when the login names a customer with access and an
   * email address. The answer is the same either way (no account discovery);
   * requests are throttled per (login, address).
   */
  async requestReset(login: string, ip: string): Promise<void> {
    const key = `reset:${login.trim().toLowerCase()}|ip:${ip}`;
    const state = await store.throttleState(this.db, [key], THROTTLE.windowSeconds);
    if (state[0] && state[0].failures >= RESET_REQUESTS_PER_WINDOW) return;
    await store.countFailure(this.db, key, THROTTLE.windowSeconds);
    const customer = await this.customerOf(login);
    if (!customer?.email) return;
    const account = await store.findAccount(this.db, customer.id);
    if (!account?.enabled) return;
    const token = randomToken(32);
    await this.db.transaction(async (tx) => {
      await store.insertResetToken(tx, sha256(token), customer.id, RESET_TOKEN_MINUTES);
      await this.deps.email.enqueue(
        {
          kind: 'passwordReset',
          to: [customer.email!],
          subject: 'Reset your Support Center password',
          body: [
            `Hello ${customer.displayName},`,
            '',
            'Someone (we hope you) asked to reset your Support Center password. Choose a new one here:',
            this.portalUrl(`/reset#token=${token}`),
            '',
            `The link works once, for ${RESET_TOKEN_MINUTES} minutes. If you did not ask, ignore this message.`,
          ].join('\n'),
          sensitive: true,
        },
        tx,
      );
    });
  }

  /** Sets a new password with a reset token: unused, unexpired, once; every session ends. */
  async confirmReset(token: string, password: string): Promise<void> {
    const hash = await hashPassword(password, this.config.argon2);
    await this.db.transaction(async (tx) => {
      const customerId = await store.useResetToken(tx, sha256(token));
      const account = customerId ? await store.findAccount(tx, customerId, true) : null;
      if (!customerId || !account?.enabled) {
        throw new Invalid([{ field: 'token', message: 'the link is not valid any more: ask for a new one' }]);
      }
      await store.setPassword(tx, customerId, hash);
      await store.deleteSessionsOf(tx, customerId);
      await recordHistory(tx, this.system, {
        recordType: 'customer',
        recordId: customerId,
        action: 'update',
        changes: [{ field: 'portalPassword', from: null, to: '(reset by the customer)' }],
      });
    });
  }

  /** Housekeeping for the job runner: expired sessions and tokens. */
  async prune(): Promise<void> {
    await store.pruneSessions(this.db);
  }

  /** For tests and the cases view: the customer must still exist. */
  async requireCustomer(customerId: string): Promise<Customer> {
    const c = await this.deps.customers.get(this.system, customerId).catch(() => null);
    if (!c) throw new NotFound('Customer');
    return c;
  }

  /**
   * Merging two customers (src/flows/customer-merge.ts): the merged customer's
   * Support Center account moves to the survivor when only the merged one has
   * an enabled account; a disabled one leaves with the merged customer; both
   * having one is refused (two passwords cannot become one). The merged
   * customer's portal sessions and reset tokens end with it. True when it moved.
   */
  async moveToCustomer(actor: Actor, fromId: string, toId: string, tx?: Queryable): Promise<boolean> {
    requirePrivilege(actor, 'customers.edit');
    return inTransaction(this.db, tx, async (q) => {
      const rows = await store.lockAccountsOf(q, [toId, fromId]);
      const theirs = rows.find((r) => r.customer_id === fromId);
      if (!theirs?.enabled) return false;
      if (rows.some((r) => r.customer_id === toId)) {
        throw new Conflict('Both customers have a Support Center account; turn off the one to merge first', {
          errors: [{ field: 'fromId', message: 'has a Support Center account, and so does this customer' }],
        });
      }
      await store.moveAccount(q, fromId, toId);
      return true;
    });
  }
}
