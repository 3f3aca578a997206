import type { Queryable } from '../../db/adapter.js';
import { assertKey, CUSTOM_FIELD_TABLES, type CustomFieldObjectType } from './tables.js';
import type { FieldType } from './values.js';

/**
 * The per-field indexes on the owning tables, created and dropped in the same
 * transaction as the definition change that needs them:
 * - filterable: `cf__<table>__<key>`, a btree over the value expression below
 *   (numbers as numeric, dates as date, date-times as UTC timestamp, everything
 *   else the text in the C collation), or a GIN (jsonb_ops) over the array for
 *   multiPick;
 * - unique (customers): `uq__customers__cf_<key>`, a partial unique btree over the
 *   text; a clash maps to a 409 naming `customFields.<key>` (src/http/errors.ts);
 * - searchable: `cfs__<table>__<key>`, a pg_trgm GIN over lower(text).
 *
 * Plain CREATE INDEX, not CONCURRENTLY: CONCURRENTLY cannot run in a transaction,
 * and the definition change, its history and its index must commit together. The
 * price: writes to the owning table wait while the index builds (seconds per
 * million rows). Make a field filterable outside peak hours on a large table.
 */
interface FieldIndexSpec {
  key: string;
  type: FieldType;
  unique: boolean;
  filterable: boolean;
  searchable: boolean;
}

const q = (name: string) => `"${name}"`;

/**
 * The value expression a filter compares, identical in the index and in queries
 * (or the index is not used). sb_cf_text / sb_cf_date / sb_cf_timestamp read
 * custom_fields ->> key as text, date or UTC timestamp (migration 0500 says why).
 */
export function valueExpression(type: FieldType, key: string, alias?: string): string {
  const col = `${alias ? `${alias}.` : ''}custom_fields`;
  const k = assertKey(key);
  if (type === 'number' || type === 'decimal') return `(sb_cf_text(${col}, '${k}')::numeric)`;
  if (type === 'date') return `sb_cf_date(${col}, '${k}')`;
  if (type === 'dateTime') return `sb_cf_timestamp(${col}, '${k}')`;
  if (type === 'multiPick') return `(${col} -> '${k}')`;
  return `(sb_cf_text(${col}, '${k}') COLLATE "C")`;
}

export function searchExpression(key: string, alias?: string): string {
  const col = `${alias ? `${alias}.` : ''}custom_fields`;
  return `lower(${col} ->> '${assertKey(key)}')`;
}

const filterIndexName = (table: string, key: string) => `cf__${table}__${assertKey(key)}`;
const uniqueIndexName = (table: string, key: string) => `uq__${table}__cf_${assertKey(key)}`;
const searchIndexName = (table: string, key: string) => `cfs__${table}__${assertKey(key)}`;

/** name → CREATE INDEX statement, for the indexes a definition needs. */
function desiredIndexes(objectType: CustomFieldObjectType, f: FieldIndexSpec | null): Map<string, string> {
  const out = new Map<string, string>();
  if (!f) return out;
  const table = CUSTOM_FIELD_TABLES[objectType];
  if (f.filterable) {
    const name = filterIndexName(table, f.key);
    const method = f.type === 'multiPick' ? 'gin' : 'btree';
    out.set(name, `CREATE INDEX ${q(name)} ON ${table} USING ${method} (${valueExpression(f.type, f.key)})`);
  }
  if (f.unique) {
    const name = uniqueIndexName(table, f.key);
    const text = `(custom_fields ->> '${assertKey(f.key)}')`;
    out.set(name, `CREATE UNIQUE INDEX ${q(name)} ON ${table} (${text}) WHERE ${text} IS NOT NULL`);
  }
  if (f.searchable) {
    const name = searchIndexName(table, f.key);
    out.set(name, `CREATE INDEX ${q(name)} ON ${table} USING gin ((${searchExpression(f.key)}) gin_trgm_ops)`);
  }
  return out;
}

interface IndexChanges {
  dropped: string[];
  created: string[];
}

/**
 * Brings the owning table's indexes for one field from `before` to `after` (null:
 * the field does not exist). A unique index that cannot be built because values
 * already repeat throws the database's 23505, for the caller to explain.
 */
export async function syncFieldIndexes(
  tx: Queryable,
  objectType: CustomFieldObjectType,
  before: FieldIndexSpec | null,
  after: FieldIndexSpec | null,
): Promise<IndexChanges> {
  const had = desiredIndexes(objectType, before);
  const want = desiredIndexes(objectType, after);
  const dropped = [...had.keys()].filter((n) => want.get(n) !== had.get(n));
  const created = [...want.keys()].filter((n) => had.get(n) !== want.get(n));
  if (dropped.length === 0 && created.length === 0) return { dropped, created };
  // Building an index on a large table may outlast the request statement timeout.
  await tx.query(`SELECT set_config('statement_timeout', '0', true)`);
  for (const name of dropped) await tx.query(`DROP INDEX IF EXISTS ${q(name)}`);
  for (const name of created) {
    await tx.query(`DROP INDEX IF EXISTS ${q(name)}`);
    await tx.query(want.get(name)!);
  }
  // Expression indexes carry their own statistics, gathered by ANALYZE only:
  // without them the planner guesses the selectivity of every cf.<key> filter.
  if (created.length > 0) await tx.query(`ANALYZE ${CUSTOM_FIELD_TABLES[objectType]}`);
  return { dropped, created };
}
