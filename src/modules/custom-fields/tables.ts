import type { Queryable } from '../../db/adapter.js';

export const OBJECT_TYPES = ['customer', 'case', 'followUp', 'task'] as const;
export type CustomFieldObjectType = (typeof OBJECT_TYPES)[number];

/**
 * The one place that knows which table holds each object type's values (in its
 * `custom_fields` jsonb column). Those tables belong to the customers, cases and
 * tasks modules; this module touches them only through the functions of this
 * file and the index DDL in indexes.ts:
 * - `hasCustomFieldValues` (type changes, option removals and deletes ask it),
 * - `removeCustomFieldValues` (a confirmed delete of a field with values),
 * - filter/search conditions that the owners' list queries embed (filters.ts),
 * - the per-field expression indexes (indexes.ts).
 * Follow-ups are append-only: their values can never be removed.
 */
export const CUSTOM_FIELD_TABLES: Readonly<Record<CustomFieldObjectType, string>> = {
  customer: 'customers',
  case: 'cases',
  followUp: 'case_follow_ups',
  task: 'tasks',
};

/** Object types whose records can be changed after they are written. */
export const MUTABLE_OBJECT_TYPES: ReadonlySet<CustomFieldObjectType> = new Set(['customer', 'case', 'task']);

/** Keys are checked against this before they ever reach SQL text (index names and expressions). */
export const KEY_PATTERN = '^[a-z][a-zA-Z0-9_]{0,39}$';
const KEY_RE = new RegExp(KEY_PATTERN);

export function assertKey(key: string): string {
  if (!KEY_RE.test(key)) throw new Error(`not a custom field key: ${JSON.stringify(key)}`);
  return key;
}

/**
 * Whether any record of the type has a value for `key`: one probe of the
 * `<table>_cf_keys_idx` GIN index over sb_custom_field_keys(custom_fields).
 *
 * The planner estimates an absent key at 0.5 % of the rows and would rather
 * seq-scan with LIMIT 1, which reads the whole table exactly when the answer is
 * "no": sequential scans are switched off for this one statement (inside the
 * caller's transaction, restored right after).
 */
export async function hasCustomFieldValues(
  tx: Queryable,
  objectType: CustomFieldObjectType,
  key: string,
): Promise<boolean> {
  const table = CUSTOM_FIELD_TABLES[objectType];
  const [prev] = await tx.query<{ v: string }>(
    `SELECT current_setting('enable_seqscan') AS v, set_config('enable_seqscan', 'off', true)`,
  );
  try {
    const [row] = await tx.query<{ found: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM ${table} WHERE sb_custom_field_keys(custom_fields) @> ARRAY[$1]::text[]) AS found`,
      [assertKey(key)],
    );
    return row.found;
  } finally {
    await tx.query(`SELECT set_config('enable_seqscan', $1, true)`, [prev.v]);
  }
}

/** Whether any record of the type holds option `option` of pick-list field `key`. */
export async function hasCustomFieldOptionValue(
  tx: Queryable,
  objectType: CustomFieldObjectType,
  key: string,
  option: string,
): Promise<boolean> {
  const table = CUSTOM_FIELD_TABLES[objectType];
  const [row] = await tx.query<{ found: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM ${table}
       WHERE sb_custom_field_keys(custom_fields) @> ARRAY[$1]::text[]
         AND (custom_fields -> $1 = to_jsonb($2::text) OR custom_fields -> $1 @> jsonb_build_array($2::text))) AS found`,
    [assertKey(key), option],
  );
  return row.found;
}

/**
 * Removes `key` from every record of a mutable type (a confirmed delete): one
 * statement in the caller's transaction; returns how many records held a value.
 * The records' versions are left alone: the value is gone for every reader, and a
 * later write naming the key is refused as an unknown field.
 */
export async function removeCustomFieldValues(
  tx: Queryable,
  objectType: CustomFieldObjectType,
  key: string,
): Promise<number> {
  if (!MUTABLE_OBJECT_TYPES.has(objectType)) throw new Error(`${objectType} records are append-only`);
  const table = CUSTOM_FIELD_TABLES[objectType];
  const [row] = await tx.query<{ n: number }>(
    `WITH changed AS (
       UPDATE ${table} SET custom_fields = custom_fields - $1
       WHERE sb_custom_field_keys(custom_fields) @> ARRAY[$1]::text[] RETURNING 1)
     SELECT count(*) AS n FROM changed`,
    [assertKey(key)],
  );
  return row.n;
}
