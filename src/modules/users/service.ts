import type { Db, Queryable } from '../../db/adapter.js';
import { maybeOne, one } from '../../db/adapter.js';
import type { Config } from '../../config.js';
import { type Actor, requirePrivilege } from '../../http/actor.js';
import { Conflict, Invalid, NotFound } from '../../http/errors.js';
import { isUuid } from '../../http/ids.js';
import { recordAudit } from '../audit/service.js';
import { recordHistory, diffFields } from '../history/service.js';
import { effectivePrivileges, type Privilege, type Role, ROLES } from '../../http/privileges.js';
import type { User, UserCreate, UserPatch } from './schema.js';
import { requireGoodPassword } from './password-policy.js';
import { hashPassword } from './secrets.js';

/**
 * A user as other modules see it: never a secret (password hash, TOTP secret,
 * recovery codes). The sign-in code of this module reads credentials through
 * credentials.ts, which no other module imports.
 */
interface UserRow {
  id: string;
  email: string;
  first_name: string;
  last_name: string;
  role: Role;
  privileges: string[] | null;
  disabled: boolean;
  version: number;
  created_at: Date;
  updated_at: Date;
  role_privileges: string[];
}

/** Every column but the password hash, named one by one so a new secret column never leaks by `*`. */
const SELECT_USER = `SELECT u.id, u.email, u.first_name, u.last_name, u.role, u.privileges, u.disabled, u.version,
         u.created_at, u.updated_at, rp.privileges AS role_privileges
  FROM users u JOIN role_privileges rp ON rp.role = u.role`;

function toUser(r: UserRow): User {
  return {
    id: r.id,
    email: r.email,
    firstName: r.first_name,
    lastName: r.last_name,
    role: r.role,
    privileges: effectivePrivileges(r.role, r.role_privileges, r.privileges),
    privilegesOverride: r.privileges !== null,
    disabled: r.disabled,
    version: r.version,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

export function displayName(u: { first_name: string; last_name: string; email: string }): string {
  const n = `${u.first_name} ${u.last_name}`.trim();
  return n || u.email;
}

export class UsersService {
  private readonly accessListeners = new Set<() => void>();

  constructor(
    private readonly db: Db,
    private readonly config: Config,
  ) {}

  /** Called after a user or a role changes in a way that may change what someone may do (caches drop then). */
  onAccessChange(listener: () => void): void {
    this.accessListeners.add(listener);
  }

  private accessChanged(): void {
    for (const listener of this.accessListeners) listener();
  }

  async findRowByEmail(email: string, tx?: Queryable): Promise<UserRow | null> {
    return maybeOne<UserRow>(tx ?? this.db, `${SELECT_USER} WHERE lower(u.email) = lower($1)`, [email]);
  }

  async findRowById(id: string, tx?: Queryable): Promise<UserRow | null> {
    if (!isUuid(id)) return null;
    return maybeOne<UserRow>(tx ?? this.db, `${SELECT_USER} WHERE u.id = $1`, [id]);
  }

  /** Active users by email (lower-cased key → id), for imports naming owners by email. */
  async activeIdsByEmail(emails: string[], tx?: Queryable): Promise<Map<string, string>> {
    const q = tx ?? this.db;
    if (emails.length === 0) return new Map();
    const rows = await q.query<{ id: string; email: string }>(
      'SELECT id, lower(email) AS email FROM users WHERE lower(email) = ANY($1::text[]) AND NOT disabled',
      [emails.map((e) => e.toLowerCase())],
    );
    return new Map(rows.map((r) => [r.email, r.id]));
  }

  /**
   * Active users an `@handle` names (docs/agent-workflow.md, Mentions): the
   * handle is the user's first and last name written together without spaces
   * (`@GraceHopper`), or the part of their email address before the `@`
   * (`@grace.hopper`); case does not matter. Handles arrive lower-cased.
   */
  async activeIdsByHandle(handles: string[], tx?: Queryable): Promise<string[]> {
    if (handles.length === 0) return [];
    const rows = await (tx ?? this.db).query<{ id: string }>(
      `SELECT id FROM users
       WHERE NOT disabled
         AND (lower(regexp_replace(first_name || last_name, '\\s+', '', 'g')) = ANY($1::text[])
              OR lower(split_part(email, '@', 1)) = ANY($1::text[]))
       ORDER BY id`,
      [handles],
    );
    return rows.map((r) => r.id);
  }

  /**
   * What a user may see, as an actor acting for them: events and anything else
   * pushed to a user are shaped with this, never with the privileges of whoever
   * caused them. Null for an unknown or disabled user (they get nothing).
   */
  async access(userId: string, tx?: Queryable): Promise<Actor | null> {
    const r = await this.findRowById(userId, tx);
    if (!r || r.disabled) return null;
    return {
      kind: 'user',
      userId: r.id,
      name: displayName(r),
      role: r.role,
      privileges: new Set(effectivePrivileges(r.role, r.role_privileges, r.privileges)),
      channel: 'system',
      scopes: ['full'],
    };
  }

  /** For other modules: a user's public identity, or null. No privilege needed (names appear on records). */
  async getIdentity(id: string): Promise<{ id: string; name: string; email: string; disabled: boolean } | null> {
    const r = await this.findRowById(id);
    return r ? { id: r.id, name: displayName(r), email: r.email, disabled: r.disabled } : null;
  }

  async count(): Promise<number> {
    return (await one<{ n: number }>(this.db, 'SELECT count(*) AS n FROM users')).n;
  }

  async list(actor: Actor): Promise<User[]> {
    requirePrivilege(actor, 'admin');
    const rows = await this.db.query<UserRow>(`${SELECT_USER} ORDER BY lower(u.email) LIMIT 5000`);
    return rows.map(toUser);
  }

  /** Agents need the list of colleagues to assign cases and tasks: names only. */
  async directory(): Promise<{ id: string; name: string; email: string; role: Role }[]> {
    const rows = await this.db.query<UserRow>(
      `${SELECT_USER} WHERE NOT u.disabled ORDER BY u.first_name, u.last_name LIMIT 5000`,
    );
    return rows.map((r) => ({ id: r.id, name: displayName(r), email: r.email, role: r.role }));
  }

  async get(actor: Actor, id: string): Promise<User> {
    requirePrivilege(actor, 'admin');
    const r = await this.findRowById(id);
    if (!r) throw new NotFound('User');
    return toUser(r);
  }

  /** Creates a user; `actor` null only for bootstrap (first admin, CLI). */
  async create(actor: Actor | null, input: UserCreate): Promise<User> {
    if (actor) requirePrivilege(actor, 'admin');
    // Passwords people choose in the console or API are checked for strength; the operator's bootstrap
    // (SWITCHBOARD_ADMIN_PASSWORD, the CLI) only for length, by its schema.
    if (actor) {
      await requireGoodPassword('password', input.password, [input.email, input.firstName ?? '', input.lastName ?? '']);
    }
    const hash = await hashPassword(input.password, this.config.argon2);
    return this.db.transaction(async (tx) => {
      const row = await one<{ id: string }>(
        tx,
        `INSERT INTO users (email, password_hash, first_name, last_name, role, privileges, disabled)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
        [
          input.email,
          hash,
          input.firstName ?? '',
          input.lastName ?? '',
          input.role,
          input.privileges ?? null,
          input.disabled ?? false,
        ],
      );
      const created = (await this.findRowById(row.id, tx))!;
      await recordHistory(tx, actor, {
        recordType: 'user',
        recordId: created.id,
        action: 'create',
        changes: diffFields({}, userFields(created)),
      });
      await recordAudit(tx, actor, {
        action: 'user.created',
        targetType: 'user',
        targetId: created.id,
        details: { email: created.email, role: created.role, privileges: created.privileges },
      });
      return toUser(created);
    });
  }

  async update(actor: Actor, id: string, patch: UserPatch, expectedVersion: number | null): Promise<User> {
    requirePrivilege(actor, 'admin');
    if (patch.password !== undefined) await requireGoodPassword('password', patch.password, [patch.email ?? '']);
    const hash = patch.password ? await hashPassword(patch.password, this.config.argon2) : null;
    const user = await this.db.transaction(async (tx) => {
      const before = await maybeOne<UserRow>(tx, `${SELECT_USER} WHERE u.id = $1 FOR UPDATE OF u`, [
        isUuid(id) ? id : '00000000-0000-0000-0000-000000000000',
      ]);
      if (!before) throw new NotFound('User');
      if (expectedVersion !== null && expectedVersion !== before.version) throw Conflict.stale(toUser(before));
      if (before.id === actor.userId && (patch.disabled === true || (patch.role && patch.role !== 'admin'))) {
        throw new Invalid([
          { field: patch.disabled ? 'disabled' : 'role', message: 'you cannot disable or demote yourself' },
        ]);
      }
      await tx.query(
        `UPDATE users SET
           email = COALESCE($2, email),
           password_hash = COALESCE($3, password_hash),
           first_name = COALESCE($4, first_name),
           last_name = COALESCE($5, last_name),
           role = COALESCE($6, role),
           privileges = CASE WHEN $7::boolean THEN $8::text[] ELSE privileges END,
           disabled = COALESCE($9, disabled),
           version = version + 1,
           updated_at = now()
         WHERE id = $1`,
        [
          before.id,
          patch.email ?? null,
          hash,
          patch.firstName ?? null,
          patch.lastName ?? null,
          patch.role ?? null,
          patch.privileges !== undefined,
          patch.privileges ?? null,
          patch.disabled ?? null,
        ],
      );
      // A password change, or disabling, ends every session and API key use of the user.
      if (hash || patch.disabled === true) {
        await tx.query('DELETE FROM sessions WHERE user_id = $1', [before.id]);
        await tx.query('DELETE FROM signin_challenges WHERE user_id = $1', [before.id]);
      }
      const after = (await this.findRowById(before.id, tx))!;
      const changes = diffFields(userFields(before), userFields(after));
      if (hash) changes.push({ field: 'password', from: null, to: '(changed)' });
      await recordHistory(tx, actor, { recordType: 'user', recordId: before.id, action: 'update', changes });
      if (changes.length > 0) {
        await recordAudit(tx, actor, {
          action: changes.some((c) => c.field === 'role' || c.field === 'privileges')
            ? 'user.privileges_changed'
            : 'user.updated',
          targetType: 'user',
          targetId: before.id,
          details: { email: after.email, changes },
        });
      }
      return toUser(after);
    });
    this.accessChanged();
    return user;
  }

  async listRolePrivileges(actor: Actor): Promise<RoleSettings[]> {
    requirePrivilege(actor, 'admin');
    const rows = await this.db.query<RoleRow>(
      'SELECT role, privileges, version, require_two_factor FROM role_privileges ORDER BY role',
    );
    return rows.map(toRoleSettings);
  }

  async setRolePrivileges(
    actor: Actor,
    role: string,
    input: { privileges: Privilege[]; requireTwoFactor?: boolean },
    expectedVersion: number | null,
  ): Promise<RoleSettings> {
    requirePrivilege(actor, 'admin');
    if (!(ROLES as readonly string[]).includes(role)) throw new NotFound('Role');
    const result = await this.db.transaction(async (tx) => {
      const before = await one<RoleRow>(
        tx,
        'SELECT role, privileges, version, require_two_factor FROM role_privileges WHERE role = $1 FOR UPDATE',
        [role],
      );
      if (expectedVersion !== null && expectedVersion !== before.version) {
        throw Conflict.stale(toRoleSettings(before));
      }
      const after = await one<RoleRow>(
        tx,
        `UPDATE role_privileges SET privileges = $2, require_two_factor = COALESCE($3, require_two_factor),
           version = version + 1, updated_at = now()
         WHERE role = $1 RETURNING role, privileges, version, require_two_factor`,
        [role, input.privileges, input.requireTwoFactor ?? null],
      );
      const changes = [{ field: `privileges.${role}`, from: before.privileges, to: after.privileges }];
      if (before.require_two_factor !== after.require_two_factor) {
        changes.push({
          field: `requireTwoFactor.${role}`,
          from: [String(before.require_two_factor)],
          to: [String(after.require_two_factor)],
        });
      }
      await recordHistory(tx, actor, { recordType: 'role', recordId: null, action: 'update', changes });
      await recordAudit(tx, actor, {
        action: 'role.changed',
        targetType: 'role',
        targetId: role,
        details: {
          privileges: { from: before.privileges, to: after.privileges },
          requireTwoFactor: { from: before.require_two_factor, to: after.require_two_factor },
        },
      });
      return toRoleSettings(after);
    });
    this.accessChanged();
    return result;
  }
}

interface RoleRow {
  role: Role;
  privileges: string[];
  version: number;
  require_two_factor: boolean;
}

interface RoleSettings {
  role: Role;
  privileges: Privilege[];
  requireTwoFactor: boolean;
  version: number;
}

function toRoleSettings(r: RoleRow): RoleSettings {
  return {
    role: r.role,
    privileges: effectivePrivileges(r.role, r.privileges, null),
    requireTwoFactor: r.require_two_factor,
    version: r.version,
  };
}

function userFields(r: UserRow): Record<string, unknown> {
  return {
    email: r.email,
    firstName: r.first_name,
    lastName: r.last_name,
    role: r.role,
    privileges: r.privileges,
    disabled: r.disabled,
  };
}
