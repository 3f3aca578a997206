import type { Db } from '../../db/adapter.js';
import type { Actor } from '../../http/actor.js';
import { Forbidden, Invalid, type FieldError } from '../../http/errors.js';
import { KEY_PATTERN } from '../custom-fields/tables.js';
import { CASE_LIST_COLUMNS } from '../cases/schema.js';
import { CUSTOMER_COLUMNS } from './schema.js';

/** A custom field as a column: `cf.<key>` (shown while the field is active). */
const CF_COLUMN = new RegExp(`^cf\\.${KEY_PATTERN.slice(1)}`);

/** Largest JSON value one preference may hold, and most keys one user may keep. */
const MAX_VALUE_BYTES = 8192;
export const MAX_KEYS = 100;

/** A list's columns: known column names or custom fields, each once, in display order. */
function columnList(known: readonly string[]): (v: unknown) => string | null {
  return (v) => {
    if (!Array.isArray(v) || v.length === 0) return 'a non-empty list of column names, in display order';
    const allowed = new Set<string>(known);
    const bad = v.find((c) => typeof c !== 'string' || !(allowed.has(c) || CF_COLUMN.test(c)));
    if (bad !== undefined)
      return `unknown column ${JSON.stringify(bad)}; known: ${known.join(', ')}, or cf.<custom field key>`;
    if (new Set(v).size !== v.length) return 'a column is listed twice';
    return null;
  };
}

/** Validators for keys whose shape we know; other keys hold any small JSON value. */
const KNOWN: Record<string, (v: unknown) => string | null> = {
  'customers.columns': columnList(CUSTOMER_COLUMNS),
  'cases.columns': columnList(CASE_LIST_COLUMNS),
};

/**
 * Per-user preferences (docs/product.md C7: the customers and cases lists' chosen columns and
 * their order are kept per user): key → JSON value, in `user_preferences`.
 */
export class PreferencesService {
  constructor(private readonly db: Db) {}

  private userOf(actor: Actor): string {
    if (!actor.userId) throw new Forbidden('Preferences belong to a user');
    return actor.userId;
  }

  async get(actor: Actor): Promise<Record<string, unknown>> {
    const userId = this.userOf(actor);
    const rows = await this.db.query<{ key: string; value: unknown }>(
      'SELECT key, value FROM user_preferences WHERE user_id = $1 ORDER BY key LIMIT $2',
      [userId, MAX_KEYS],
    );
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  /** Sets the keys given (null removes one) and answers every preference of the user. */
  async put(actor: Actor, changes: Record<string, unknown>): Promise<Record<string, unknown>> {
    const userId = this.userOf(actor);
    const errors: FieldError[] = [];
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) continue;
      const problem = KNOWN[key]?.(value) ?? null;
      if (problem) errors.push({ field: key, message: problem });
      else if (Buffer.byteLength(JSON.stringify(value)) > MAX_VALUE_BYTES) {
        errors.push({ field: key, message: `at most ${MAX_VALUE_BYTES} bytes of JSON` });
      }
    }
    if (errors.length) throw new Invalid(errors);
    await this.db.transaction(async (tx) => {
      for (const [key, value] of Object.entries(changes)) {
        if (value === null) {
          await tx.query('DELETE FROM user_preferences WHERE user_id = $1 AND key = $2', [userId, key]);
        } else {
          await tx.query(
            `INSERT INTO user_preferences (user_id, key, value) VALUES ($1, $2, $3)
             ON CONFLICT (user_id, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
            [userId, key, JSON.stringify(value)],
          );
        }
      }
      const [{ n }] = await tx.query<{ n: number }>('SELECT count(*) AS n FROM user_preferences WHERE user_id = $1', [
        userId,
      ]);
      if (n > MAX_KEYS) throw new Invalid([{ field: 'body', message: `at most ${MAX_KEYS} preferences per user` }]);
    });
    return this.get(actor);
  }
}
