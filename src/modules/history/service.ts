import type { HistoryEntry } from './schema.js';
import type { Queryable } from '../../db/adapter.js';
import type { Actor } from '../../http/actor.js';
import { decodeCursor, keysetPage, type Page } from '../../http/pagination.js';

/** One changed field: from → to (null when absent). */
export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

export type { HistoryEntry } from './schema.js';

/**
 * Whether two values read the same once stored as JSON. Texts, yes/no values and
 * absent ones are compared directly (imports compare every field of every new
 * record with nothing); numbers, dates and objects go through JSON, where NaN
 * reads as null and a date as its text.
 */
function same(a: unknown, b: unknown): boolean {
  if ((a ?? null) === (b ?? null)) return true;
  const direct = (v: unknown) => v === null || v === undefined || typeof v === 'string' || typeof v === 'boolean';
  if (direct(a) && direct(b)) return false;
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * The field-level difference between two flat views of a record. Nested objects
 * (addresses, custom fields) are compared per key: "primaryAddress.city".
 */
export function diffFields(before: Record<string, unknown>, after: Record<string, unknown>): FieldChange[] {
  const changes: FieldChange[] = [];
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const key of keys) {
    const a = before[key];
    const b = after[key];
    if (same(a, b)) continue;
    if (isPlainObject(a) || isPlainObject(b)) {
      const nested = diffFields(
        (isPlainObject(a) ? a : {}) as Record<string, unknown>,
        (isPlainObject(b) ? b : {}) as Record<string, unknown>,
      );
      for (const c of nested) changes.push({ ...c, field: `${key}.${c.field}` });
    } else {
      changes.push({ field: key, from: a ?? null, to: b ?? null });
    }
  }
  return changes;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

export interface HistoryInput {
  recordType: string;
  recordId: string | null;
  action: string;
  changes: FieldChange[];
}

/** Appends a history row in the caller's transaction (the change and its history commit together). */
export async function recordHistory(tx: Queryable, actor: Actor | null, input: HistoryInput): Promise<void> {
  if (input.action === 'update' && input.changes.length === 0) return;
  await tx.query(
    `INSERT INTO history (record_type, record_id, actor_id, actor_name, channel, action, changes)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [
      input.recordType,
      input.recordId,
      actor?.userId ?? null,
      actor?.name ?? 'system',
      actor?.channel ?? 'system',
      input.action,
      JSON.stringify(input.changes),
    ],
  );
}

/** A history row as JSON for recordHistoryRows (null: an update without changes, which leaves no row). */
export function historyRowJson(input: HistoryInput): string | null {
  if (input.action === 'update' && input.changes.length === 0) return null;
  return JSON.stringify({
    record_type: input.recordType,
    record_id: input.recordId,
    action: input.action,
    changes: input.changes,
  });
}

/**
 * Many history rows in one statement (imports: one entry per record written),
 * all by one actor, in the caller's transaction. Updates without changes are left out.
 */
export async function recordHistoryMany(tx: Queryable, actor: Actor | null, inputs: HistoryInput[]): Promise<void> {
  await recordHistoryRows(
    tx,
    actor,
    inputs.map(historyRowJson).filter((r): r is string => r !== null),
  );
}

/**
 * recordHistoryMany with rows already serialised (historyRowJson): an import
 * builds them before its chunk's transaction, so that work overlaps the
 * database's instead of holding the transaction open.
 */
export async function recordHistoryRows(tx: Queryable, actor: Actor | null, rows: string[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO history (record_type, record_id, actor_id, actor_name, channel, action, changes)
     SELECT x.record_type, x.record_id, $1, $2, $3, x.action, x.changes
     FROM ROWS FROM (jsonb_to_recordset($4::jsonb) AS (record_type text, record_id uuid, action text, changes jsonb))
       WITH ORDINALITY AS x
     ORDER BY x.ordinality`,
    [actor?.userId ?? null, actor?.name ?? 'system', actor?.channel ?? 'system', `[${rows.join(',')}]`],
  );
}

interface HistoryRow {
  id: number;
  at: Date;
  actor_id: string | null;
  actor_name: string;
  channel: string;
  action: string;
  changes: FieldChange[];
}

/** Whether a record has any history (a deleted record's history outlives it). */
export async function hasHistory(q: Queryable, recordType: string, recordId: string): Promise<boolean> {
  const rows = await q.query('SELECT 1 FROM history WHERE record_type = $1 AND record_id = $2 LIMIT 1', [
    recordType,
    recordId,
  ]);
  return rows.length > 0;
}

/** A record's history, newest first, keyset-paginated on the history id. */
export async function listHistory(
  q: Queryable,
  recordType: string,
  recordId: string,
  opts: { limit: number; cursor?: string },
): Promise<Page<HistoryEntry>> {
  const after = opts.cursor ? decodeCursor(opts.cursor, ['number']) : null;
  const rows = await q.query<HistoryRow>(
    `SELECT id, at, actor_id, actor_name, channel, action, changes FROM history
     WHERE record_type = $1 AND record_id = $2 AND ($3::bigint IS NULL OR id < $3)
     ORDER BY id DESC LIMIT $4`,
    [recordType, recordId, after ? after[0] : null, opts.limit + 1],
  );
  return keysetPage(
    rows,
    opts.limit,
    (last) => [last.id],
    (r) => ({
      id: String(r.id),
      at: r.at.toISOString(),
      actor: { id: r.actor_id, name: r.actor_name },
      channel: r.channel,
      action: r.action,
      changes: r.changes,
    }),
  );
}
