import type { Db, Queryable } from '../../db/adapter.js';
import { maybeOne, one } from '../../db/adapter.js';
import type { Config } from '../../config.js';
import { type Actor, requirePrivilege } from '../../http/actor.js';
import { Conflict, Invalid, NotFound } from '../../http/errors.js';
import { isUuid } from '../../http/ids.js';
import { recordHistory, diffFields } from '../history/service.js';
import { effectivePrivileges, type Privilege, type Role, ROLES } from './privileges.js';
import type { User, UserCreate, UserPatch } from './schema.js';
import { hashPassword } from './secrets.js';

interface UserRow {
  id: string;
  email: string;
  password_hash: string;
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

const SELECT_USER = `SELECT u.*, rp.privileges AS role_privileges
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

  async findRowByEmail(q: Queryable, email: string): Promise<UserRow | null> {
    return maybeOne<UserRow>(q, `${SELECT_USER} WHERE lower(u.email) = lower($1)`, [email]);
  }

  async findRowById(q: Queryable, id: string): Promise<UserRow | null> {
    if (!isUuid(id)) return null;
    return maybeOne<UserRow>(q, `${SELECT_USER} WHERE u.id = $1`, [id]);
  }

  /** Active users by email (lower-cased key → id), for imports naming owners by email. */
  async activeIdsByEmail(q: Queryable, emails: string[]): Promise<Map<string, string>> {
    if (emails.length === 0) return new Map();
    const rows = await q.query<{ id: string; email: string }>(
      'SELECT id, lower(email) AS email FROM users WHERE lower(email) = ANY($1::text[]) AND NOT disabled',
      [emails.map((e) => e.toLowerCase())],
    );
    return new Map(rows.map((r) => [r.email, r.id]));
  }

  /** For other modules: a user's public identity, or null. No privilege needed (names appear on records). */
  async getIdentity(id: string): Promise<{ id: string; name: string; email: string; disabled: boolean } | null> {
    const r = await this.findRowById(this.db, id);
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
    const r = await this.findRowById(this.db, id);
    if (!r) throw new NotFound('User');
    return toUser(r);
  }

  /** Creates a user; `actor` null only for bootstrap (first admin, CLI). */
  async create(actor: Actor | null, input: UserCreate): Promise<User> {
    if (actor) requirePrivilege(actor, 'admin');
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
      const created = (await this.findRowById(tx, row.id))!;
      await recordHistory(tx, actor, {
        recordType: 'user',
        recordId: created.id,
        action: 'create',
        changes: diffFields({}, userFields(created)),
      });
      return toUser(created);
    });
  }

  async update(actor: Actor, id: string, patch: UserPatch, expectedVersion: number | null): Promise<User> {
    requirePrivilege(actor, 'admin');
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
      if (hash || patch.disabled === true) await tx.query('DELETE FROM sessions WHERE user_id = $1', [before.id]);
      const after = (await this.findRowById(tx, before.id))!;
      const changes = diffFields(userFields(before), userFields(after));
      if (hash) changes.push({ field: 'password', from: null, to: '(changed)' });
      await recordHistory(tx, actor, { recordType: 'user', recordId: before.id, action: 'update', changes });
      return toUser(after);
    });
    this.accessChanged();
    return user;
  }

  async listRolePrivileges(actor: Actor): Promise<{ role: Role; privileges: Privilege[]; version: number }[]> {
    requirePrivilege(actor, 'admin');
    const rows = await this.db.query<{ role: Role; privileges: string[]; version: number }>(
      'SELECT role, privileges, version FROM role_privileges ORDER BY role',
    );
    return rows.map((r) => ({
      role: r.role,
      privileges: effectivePrivileges(r.role, r.privileges, null),
      version: r.version,
    }));
  }

  async setRolePrivileges(actor: Actor, role: string, privileges: Privilege[], expectedVersion: number | null) {
    requirePrivilege(actor, 'admin');
    if (!(ROLES as readonly string[]).includes(role)) throw new NotFound('Role');
    const result = await this.db.transaction(async (tx) => {
      const before = await one<{ privileges: string[]; version: number }>(
        tx,
        'SELECT privileges, version FROM role_privileges WHERE role = $1 FOR UPDATE',
        [role],
      );
      if (expectedVersion !== null && expectedVersion !== before.version) {
        throw Conflict.stale({ role, privileges: before.privileges, version: before.version });
      }
      const after = await one<{ privileges: string[]; version: number }>(
        tx,
        `UPDATE role_privileges SET privileges = $2, version = version + 1, updated_at = now()
         WHERE role = $1 RETURNING privileges, version`,
        [role, privileges],
      );
      await recordHistory(tx, actor, {
        recordType: 'role',
        recordId: null,
        action: 'update',
        changes: [{ field: `privileges.${role}`, from: before.privileges, to: after.privileges }],
      });
      return {
        role: role as Role,
        privileges: effectivePrivileges(role as Role, after.privileges, null),
        version: after.version,
      };
    });
    this.accessChanged();
    return result;
  }
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
