import type { Queryable } from '../../db/adapter.js';
import { maybeOne, one } from '../../db/adapter.js';
import type { Case, CaseChannel, CaseSort, Visibility } from './schema.js';

/** The cases table's SQL: the only code (with followups-store.ts and settings-store.ts) that touches it. */

export interface CaseRow {
  id: string;
  case_number: number;
  customer_id: string;
  subject: string;
  description: string;
  status: string;
  is_open: boolean;
  priority: string;
  severity: string;
  visibility: Visibility;
  owner_id: string | null;
  channel: CaseChannel;
  opened_at: Date;
  closed_at: Date | null;
  custom_fields: Record<string, unknown>;
  tags: string[];
  version: number;
  created_at: Date;
  updated_at: Date;
}

/** A case row's columns, in the order they are read. */
const CASE_FIELDS: readonly (keyof CaseRow)[] = [
  'id',
  'case_number',
  'customer_id',
  'subject',
  'description',
  'status',
  'is_open',
  'priority',
  'severity',
  'visibility',
  'owner_id',
  'channel',
  'opened_at',
  'closed_at',
  'custom_fields',
  'tags',
  'version',
  'created_at',
  'updated_at',
];

export const CASE_COLUMNS = CASE_FIELDS.map((f) => `c.${f}`).join(', ');

/** A sort key's full-precision text (microseconds), so a cursor never skips rows that share a millisecond. */
const ISO_US = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * A time in the API's form (ISO 8601, milliseconds, UTC), made by the statement: to_char's MS
 * truncates the microseconds as decoding a timestamptz into a Date does.
 */
export const ISO_MS = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

type CaseTimes = 'opened_at' | 'closed_at' | 'created_at' | 'updated_at';
const CASE_TIMES: ReadonlySet<string> = new Set<CaseTimes>(['opened_at', 'closed_at', 'created_at', 'updated_at']);

/** A case row whose times the statement gives in the API's form (list pages: no Date to make and format per time). */
type CaseTextRow = Omit<CaseRow, CaseTimes> & {
  opened_at: string;
  closed_at: string | null;
  created_at: string;
  updated_at: string;
};

/** CASE_COLUMNS with the times as text in the API's form. */
const TEXT_COLUMNS = CASE_FIELDS.map((f) => (CASE_TIMES.has(f) ? `${ISO_MS(`c.${f}`)} AS ${f}` : `c.${f}`)).join(', ');

export function toCase(r: CaseRow): Case {
  return caseOf(r, {
    openedAt: r.opened_at.toISOString(),
    closedAt: r.closed_at ? r.closed_at.toISOString() : null,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  });
}

export function toCaseFromText(r: CaseTextRow): Case {
  return caseOf(r, { openedAt: r.opened_at, closedAt: r.closed_at, createdAt: r.created_at, updatedAt: r.updated_at });
}

function caseOf(
  r: Omit<CaseRow, CaseTimes>,
  times: Pick<Case, 'openedAt' | 'closedAt' | 'createdAt' | 'updatedAt'>,
): Case {
  return {
    id: r.id,
    caseNumber: r.case_number,
    customerId: r.customer_id,
    subject: r.subject,
    description: r.description,
    status: r.status,
    isOpen: r.is_open,
    priority: r.priority,
    severity: r.severity,
    visibility: r.visibility,
    ownerId: r.owner_id,
    channel: r.channel,
    openedAt: times.openedAt,
    closedAt: times.closedAt,
    customFields: r.custom_fields,
    tags: r.tags,
    version: r.version,
    createdAt: times.createdAt,
    updatedAt: times.updatedAt,
  };
}

export async function findCase(q: Queryable, id: string, forUpdate = false): Promise<CaseRow | null> {
  return maybeOne<CaseRow>(
    q,
    `SELECT ${CASE_COLUMNS} FROM cases c WHERE c.id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
    {
      name: forUpdate ? 'cases.findForUpdate' : 'cases.find',
    },
  );
}

export async function findCaseByNumber(q: Queryable, caseNumber: number): Promise<CaseRow | null> {
  return maybeOne<CaseRow>(q, `SELECT ${CASE_COLUMNS} FROM cases c WHERE c.case_number = $1`, [caseNumber]);
}

export interface NewCase {
  customerId: string;
  subject: string;
  description: string;
  status: string;
  isOpen: boolean;
  priority: string;
  severity: string;
  visibility: Visibility;
  ownerId: string | null;
  channel: CaseChannel;
  customFields: Record<string, unknown>;
  tags: string[];
  actorId: string | null;
}

export async function insertCase(tx: Queryable, c: NewCase): Promise<CaseRow> {
  return one<CaseRow>(
    tx,
    `INSERT INTO cases AS c (customer_id, subject, description, status, is_open, priority, severity, visibility,
       owner_id, channel, closed_at, custom_fields, created_by, updated_by, tags)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, CASE WHEN $5 THEN NULL ELSE now() END, $11, $12, $12, $13)
     RETURNING ${CASE_COLUMNS}`,
    [
      c.customerId,
      c.subject,
      c.description,
      c.status,
      c.isOpen,
      c.priority,
      c.severity,
      c.visibility,
      c.ownerId,
      c.channel,
      JSON.stringify(c.customFields),
      c.actorId,
      c.tags,
    ],
  );
}

/** The writable fields of a case, as the service computes them. */
export interface CaseFields {
  customerId: string;
  subject: string;
  description: string;
  status: string;
  isOpen: boolean;
  priority: string;
  severity: string;
  visibility: Visibility;
  ownerId: string | null;
  channel: CaseChannel;
  closedAt: Date | null;
  customFields: Record<string, unknown>;
  tags: string[];
}

export async function updateCase(tx: Queryable, id: string, f: CaseFields, actorId: string | null): Promise<CaseRow> {
  return one<CaseRow>(
    tx,
    `UPDATE cases AS c SET customer_id = $2, subject = $3, description = $4, status = $5, is_open = $6,
       priority = $7, severity = $8, visibility = $9, owner_id = $10, channel = $11, closed_at = $12,
       custom_fields = $13, updated_by = $14, tags = $15, version = version + 1, updated_at = now()
     WHERE c.id = $1 RETURNING ${CASE_COLUMNS}`,
    [
      id,
      f.customerId,
      f.subject,
      f.description,
      f.status,
      f.isOpen,
      f.priority,
      f.severity,
      f.visibility,
      f.ownerId,
      f.channel,
      f.closedAt,
      JSON.stringify(f.customFields),
      actorId,
      f.tags,
    ],
  );
}

/** New activity (a follow-up) touches updated_at but not the version: no editor's form goes stale. */
export async function touchCase(tx: Queryable, id: string): Promise<CaseRow> {
  return one<CaseRow>(tx, `UPDATE cases AS c SET updated_at = now() WHERE c.id = $1 RETURNING ${CASE_COLUMNS}`, [id]);
}

export async function deleteCase(tx: Queryable, id: string): Promise<void> {
  await tx.query('DELETE FROM cases WHERE id = $1', [id]);
}

export async function caseKeyInUse(
  q: Queryable,
  column: 'status' | 'priority' | 'severity',
  key: string,
): Promise<boolean> {
  const rows = await q.query(`SELECT 1 FROM cases WHERE ${column} = $1 LIMIT 1`, [key]);
  return rows.length > 0;
}

/** A status moved between open-like and closed-like: the cases with it follow. */
export async function setOpenCategory(tx: Queryable, status: string, isOpen: boolean): Promise<void> {
  await tx.query('UPDATE cases SET is_open = $2 WHERE status = $1 AND is_open <> $2', [status, isOpen]);
}

// ---------------------------------------------------------------- lists

export interface CaseFilter {
  caseNumber?: number;
  customerId?: string;
  /** Status conditions, OR-ed: the open category, the closed category, explicit keys. */
  status?: { open: boolean; closed: boolean; keys: string[] };
  priorities?: string[];
  severities?: string[];
  /** A user id, or null for unassigned cases. */
  ownerId?: string | null;
  visibility?: Visibility;
  /** Users without cases.viewPrivate see public cases only. */
  publicOnly: boolean;
  q?: string;
  openedFrom?: string;
  openedTo?: string;
  updatedFrom?: string;
  updatedTo?: string;
  /** Updated before this time (the relative `notUpdatedForDays`, made absolute with the clock). */
  updatedBefore?: Date;
  channels?: string[];
  closedFrom?: string;
  closedTo?: string;
  /** A reopen (case_reopens) at or after reopenedFrom and before reopenedTo. */
  reopenedFrom?: string;
  reopenedTo?: string;
  reopened?: boolean;
  /** Has (or has no) public follow-up by staff. */
  responded?: boolean;
  /** Exactly this many public follow-ups by staff. */
  staffResponses?: number;
  /**
   * Custom field filters (cf.*) and the searchable custom fields' part of `q`,
   * from custom-fields/filters.ts: their placeholders are $1…$n of `params`.
   */
  custom?: { conditions: string[]; searchOr: string | null; params: unknown[] };
  /** Normalised tags: cases carrying every one of them. */
  tags?: string[];
}

const SORT_COLUMNS: Record<string, { col: string; kind: 'date' | 'number' }> = {
  openedAt: { col: 'c.opened_at', kind: 'date' },
  updatedAt: { col: 'c.updated_at', kind: 'date' },
  caseNumber: { col: 'c.case_number', kind: 'number' },
};

export function sortKind(sort: CaseSort): 'date' | 'number' {
  return SORT_COLUMNS[sort.replace(/^-/, '')].kind;
}

class Params {
  readonly values: unknown[];
  constructor(first: unknown[] = []) {
    this.values = [...first];
  }
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

/** The WHERE conditions of a case filter over `cases c`, its placeholders continuing `params` (reports use it). */
export function caseConditions(f: CaseFilter, params: unknown[]): string[] {
  const p = new Params(params);
  const w = whereOf(f, p);
  params.splice(0, params.length, ...p.values);
  return w;
}

function whereOf(f: CaseFilter, p: Params): string[] {
  const w: string[] = [];
  if (f.caseNumber !== undefined) w.push(`c.case_number = ${p.add(f.caseNumber)}`);
  if (f.customerId !== undefined) w.push(`c.customer_id = ${p.add(f.customerId)}`);
  if (f.status) {
    const or: string[] = [];
    if (f.status.open) or.push('c.is_open');
    if (f.status.closed) or.push('NOT c.is_open');
    if (f.status.keys.length > 0) or.push(`c.status = ANY(${p.add(f.status.keys)}::text[])`);
    w.push(or.length === 1 ? or[0] : `(${or.join(' OR ')})`);
  }
  if (f.priorities) w.push(`c.priority = ANY(${p.add(f.priorities)}::text[])`);
  if (f.severities) w.push(`c.severity = ANY(${p.add(f.severities)}::text[])`);
  if (f.ownerId === null) w.push('c.owner_id IS NULL');
  else if (f.ownerId !== undefined) w.push(`c.owner_id = ${p.add(f.ownerId)}`);
  if (f.visibility) w.push(`c.visibility = ${p.add(f.visibility)}`);
  if (f.publicOnly) w.push(`c.visibility = 'public'`);
  const text = textOf(f, p);
  if (text) w.push(text);
  if (f.custom) w.push(...f.custom.conditions);
  if (f.openedFrom) w.push(`c.opened_at >= ${p.add(f.openedFrom)}::timestamptz`);
  if (f.openedTo) w.push(`c.opened_at < ${p.add(f.openedTo)}::timestamptz`);
  if (f.updatedFrom) w.push(`c.updated_at >= ${p.add(f.updatedFrom)}::timestamptz`);
  if (f.updatedTo) w.push(`c.updated_at < ${p.add(f.updatedTo)}::timestamptz`);
  if (f.updatedBefore) w.push(`c.updated_at < ${p.add(f.updatedBefore)}::timestamptz`);
  if (f.channels) w.push(`c.channel = ANY(${p.add(f.channels)}::text[])`);
  if (f.closedFrom) w.push(`c.closed_at >= ${p.add(f.closedFrom)}::timestamptz`);
  if (f.closedTo) w.push(`c.closed_at < ${p.add(f.closedTo)}::timestamptz`);
  if (f.reopenedFrom || f.reopenedTo) {
    const r: string[] = ['r.case_id = c.id'];
    if (f.reopenedFrom) r.push(`r.at >= ${p.add(f.reopenedFrom)}::timestamptz`);
    if (f.reopenedTo) r.push(`r.at < ${p.add(f.reopenedTo)}::timestamptz`);
    w.push(`EXISTS (SELECT 1 FROM case_reopens r WHERE ${r.join(' AND ')})`);
  }
  if (f.reopened !== undefined) {
    w.push(`${f.reopened ? '' : 'NOT '}EXISTS (SELECT 1 FROM case_reopens r WHERE r.case_id = c.id)`);
  }
  // first_response_at and staff_responses are kept by a trigger on follow-ups (migration 1301).
  if (f.responded !== undefined) w.push(`c.first_response_at IS ${f.responded ? 'NOT ' : ''}NULL`);
  if (f.staffResponses !== undefined) w.push(`c.staff_responses = ${p.add(f.staffResponses)}::int`);
  if (f.tags && f.tags.length > 0) w.push(`c.tags @> ${p.add(f.tags)}::text[]`);
  return w;
}

/** The full-text condition of `q` (subject and description, or a searchable custom field), or null. */
function textOf(f: CaseFilter, p: Params): string | null {
  if (!f.q) return null;
  const fts = `c.search @@ websearch_to_tsquery('english', ${p.add(f.q)})`;
  return f.custom?.searchOr ? `(${fts} OR ${f.custom.searchOr})` : fts;
}

interface ListedCase {
  row: CaseTextRow;
  /** The sort key of the row, as the next cursor carries it. */
  key: string | number;
}

/** One page of cases in keyset order; `after` is the last row's [sort key, id]. */
export async function listCases(
  q: Queryable,
  f: CaseFilter,
  sort: CaseSort,
  after: [string | number, string] | null,
  limit: number,
): Promise<ListedCase[]> {
  const p = new Params(f.custom?.params);
  const where = whereOf(f, p);
  const desc = sort.startsWith('-');
  const { col, kind } = SORT_COLUMNS[sort.replace(/^-/, '')];
  if (after) {
    const v = kind === 'date' ? `${p.add(after[0])}::timestamptz` : `${p.add(after[0])}::bigint`;
    where.push(`(${col}, c.id) ${desc ? '<' : '>'} (${v}, ${p.add(after[1])}::uuid)`);
  }
  const dir = desc ? 'DESC' : 'ASC';
  const key = kind === 'date' ? ISO_US(col) : col;
  // With a text search the planner chooses between walking the order index and
  // filtering (common terms) and collecting the matches from the GIN index then
  // sorting (rare terms); the raised statistics target on `search` lets it tell.
  const rows = await q.query<CaseTextRow & { sort_key: string | number }>(
    `SELECT ${TEXT_COLUMNS}, ${key} AS sort_key FROM cases c
     ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
     ORDER BY ${col} ${dir}, c.id ${dir} LIMIT ${p.add(limit)}`,
    p.values,
  );
  return rows.map((r) => ({ row: r, key: r.sort_key }));
}

/** The customer's cases newest first: the n-th one (1-based), bounded by one customer's cases. */
export async function customerCaseAt(
  q: Queryable,
  customerId: string,
  f: CaseFilter,
  position: number,
): Promise<CaseRow | null> {
  const p = new Params();
  const where = whereOf({ ...f, customerId }, p);
  return maybeOne<CaseRow>(
    q,
    `SELECT ${CASE_COLUMNS} FROM cases c WHERE ${where.join(' AND ')}
     ORDER BY c.opened_at DESC, c.id DESC OFFSET ${p.add(position - 1)} LIMIT 1`,
    p.values,
  );
}

/** How many of the customer's cases (matching f) come before this one, newest first. */
export async function customerCasePosition(q: Queryable, row: CaseRow, f: CaseFilter, cap: number): Promise<number> {
  const p = new Params();
  const where = whereOf({ ...f, customerId: row.customer_id }, p);
  where.push(`(c.opened_at, c.id) > (SELECT o.opened_at, o.id FROM cases o WHERE o.id = ${p.add(row.id)}::uuid)`);
  const r = await one<{ n: number }>(
    q,
    `SELECT count(*) AS n FROM (SELECT 1 FROM cases c WHERE ${where.join(' AND ')} LIMIT ${p.add(cap)}) s`,
    p.values,
  );
  return r.n + 1;
}

/** How many cases match f, counted up to `cap` (saved views' counts). */
export async function countCases(q: Queryable, f: CaseFilter, cap: number): Promise<number> {
  const p = new Params(f.custom?.params);
  const where = whereOf(f, p);
  const r = await one<{ n: number }>(
    q,
    `SELECT count(*) AS n FROM (SELECT 1 FROM cases c ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
     LIMIT ${p.add(cap)}) s`,
    p.values,
  );
  return r.n;
}

/** The customer's case count (matching f), counted up to `cap`. */
export async function countCustomerCases(q: Queryable, customerId: string, f: CaseFilter, cap: number) {
  const p = new Params();
  const where = whereOf({ ...f, customerId }, p);
  const r = await one<{ n: number }>(
    q,
    `SELECT count(*) AS n FROM (SELECT 1 FROM cases c WHERE ${where.join(' AND ')} LIMIT ${p.add(cap)}) s`,
    p.values,
  );
  return r.n;
}

/** Merging customers: every case of one customer moves to another. Returns the moved ids. */
export async function moveCustomerCases(tx: Queryable, fromId: string, toId: string, actorId: string | null) {
  const rows = await tx.query<CaseRow>(
    `UPDATE cases AS c SET customer_id = $2, version = version + 1, updated_at = now(), updated_by = $3
     WHERE c.customer_id = $1 RETURNING ${CASE_COLUMNS}`,
    [fromId, toId, actorId],
  );
  return rows;
}

/**
 * The tags in use on the cases the caller may see (`publicOnly`: public cases
 * only), most used first; `prefix` keeps those starting with it.
 */
export async function tagCounts(
  q: Queryable,
  opts: { publicOnly: boolean; prefix: string | null; limit: number },
): Promise<{ tag: string; count: number }[]> {
  const p = new Params();
  const w: string[] = [];
  if (opts.publicOnly) w.push(`c.visibility = 'public'`);
  if (opts.prefix) w.push(`left(t.tag, ${p.add([...opts.prefix].length)}::int) = ${p.add(opts.prefix)}::text`);
  return q.query<{ tag: string; count: number }>(
    `SELECT t.tag, count(*) AS count FROM cases c CROSS JOIN LATERAL unnest(c.tags) AS t(tag)
     ${w.length ? 'WHERE ' + w.join(' AND ') : ''}
     GROUP BY t.tag ORDER BY count(*) DESC, t.tag LIMIT ${p.add(opts.limit)}`,
    p.values,
  );
}
