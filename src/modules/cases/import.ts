import { createHash, randomUUID } from 'node:crypto';
import type { Queryable } from '../../db/adapter.js';
import type { Actor } from '../../http/actor.js';
import { Invalid, type FieldError } from '../../http/errors.js';
import { RowsAhead } from '../../db/rows-ahead.js';
import { definitionsKey, prepareCustomFieldValidator, type CustomFieldValidator } from '../custom-fields/validate.js';
import { diffFields, recordHistoryMany, type FieldChange, type HistoryInput } from '../history/service.js';
import {
  CHANNELS,
  FOLLOW_UP_KINDS,
  VISIBILITIES,
  type CaseChannel,
  type FollowUpKind,
  type CaseSettings,
  type Visibility,
} from './schema.js';
import { loadSettings } from './settings-store.js';

/**
 * Cases and follow-ups in bulk, for imports: the API's rules (subject and
 * lengths, statuses/priorities/severities of the case settings, visibility,
 * custom fields) on a chunk of rows, written with set-based SQL and one
 * history entry per record. Opened, closed and written times are kept.
 * The imports module resolves customers and owners first (their modules'
 * services) and hands over their ids.
 */

export type CaseImportMode = 'create' | 'upsert' | 'update';

/**
 * What a row says about a case: present keys set, null clears (where a field
 * may be empty). Its customer and owner come apart (LinkedCaseRow): they are
 * rows of other modules, found in the chunk's transaction.
 */
export interface CaseImportRow {
  row: number;
  caseNumber?: string | null;
  subject?: string | null;
  description?: string | null;
  status?: string | null;
  priority?: string | null;
  severity?: string | null;
  visibility?: string | null;
  channel?: string | null;
  openedAt?: string | null;
  closedAt?: string | null;
  customFields?: Record<string, unknown>;
}

/** A row with its customer and owner, resolved by the imports module through their modules' services. */
export interface LinkedCaseRow {
  input: CaseImportRow;
  /** From the customer's account number or email; null: none given. */
  customerId: string | null;
  /** From the owner's email; undefined: not in the row, null: cleared. */
  ownerId?: string | null;
}

interface CaseValues {
  customerId: string;
  caseNumber: number | null;
  subject: string;
  description: string;
  status: string;
  isOpen: boolean;
  priority: string;
  severity: string;
  visibility: Visibility;
  channel: CaseChannel;
  ownerId: string | null;
  openedAt: Date;
  closedAt: Date | null;
  customFields: Record<string, unknown>;
}

export type PlannedCase =
  | { row: number; outcome: 'failed'; errors: FieldError[] }
  | {
      row: number;
      outcome: 'create' | 'update' | 'unchanged';
      id: string;
      values: CaseValues;
      changes: FieldChange[];
      claims: string[];
      record: Record<string, unknown>;
    };

/** "2024-05-01T14:30:00Z", "2024-05-01 14:30", "2024-05-01" (a time without zone is UTC); null if not a time. */
function readTime(raw: string): Date | null {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(
      raw.trim(),
    );
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const day = new Date(Date.UTC(y, mo - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) return null;
  if (Number(m[4] ?? 0) > 23 || Number(m[5] ?? 0) > 59 || Number(m[6] ?? 0) > 59) return null;
  const zone = !m[8] || m[8].toUpperCase() === 'Z' ? 'Z' : m[8].replace(/^([+-]\d{2}):?(\d{2})$/, '$1:$2');
  const frac = m[7] ? `.${m[7].padEnd(3, '0').slice(0, 3)}` : '';
  const at = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4] ?? '00'}:${m[5] ?? '00'}:${m[6] ?? '00'}${frac}${zone}`);
  return Number.isNaN(at.getTime()) ? null : at;
}

const TIME_HINT = 'must be a date and time (2024-05-01T14:30:00Z; without a zone, UTC)';

function caseView(v: CaseValues): Record<string, unknown> {
  return {
    customerId: v.customerId,
    subject: v.subject,
    description: v.description,
    status: v.status,
    priority: v.priority,
    severity: v.severity,
    visibility: v.visibility,
    ownerId: v.ownerId,
    channel: v.channel,
    openedAt: v.openedAt.toISOString(),
    closedAt: v.closedAt ? v.closedAt.toISOString() : null,
    customFields: v.customFields,
  };
}

interface ListItem {
  key: string;
  label: string;
  retired: boolean;
  isOpen?: boolean;
  isDefault?: boolean;
}

/** A status/priority/severity by key or by label (any case). */
function pick(list: ListItem[], raw: string): ListItem | undefined {
  const v = raw.trim().toLowerCase();
  return list.find((i) => i.key === v) ?? list.find((i) => i.label.toLowerCase() === v);
}

interface CaseRowLite {
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
}

interface CaseLists {
  statuses: ListItem[];
  priorities: ListItem[];
  severities: ListItem[];
}

function listsOf(s: CaseSettings): CaseLists {
  return { statuses: s.statuses, priorities: s.priorities, severities: s.severities };
}

/** The inputs a row's checks depend on (custom field definitions, the settings' lists), as comparable text. */
const inputsKeyOf = (cf: CustomFieldValidator, lists: CaseLists) =>
  `${definitionsKey(cf.definitions)}\n${JSON.stringify(lists)}`;

/** A row's fields checked against the settings' lists and custom field definitions: no database. */
interface CheckedCase {
  /** The row's own field errors (its customer is checked once linked). */
  errors: FieldError[];
  subject?: string;
  description?: string;
  status?: ListItem;
  priority?: ListItem;
  severity?: ListItem;
  visibility?: Visibility;
  channel?: CaseChannel;
  /** undefined: not in the row; null: cleared. */
  openedAt?: Date | null;
  closedAt?: Date | null;
  /** When the fields hold: the custom fields to store, or their errors. */
  custom?: { values: Record<string, unknown> } | { errors: FieldError[] };
}

/** What a row needs no database for: its case number read, and its checks were it a new case. */
interface PreparedCase {
  /** null: none given; NaN: not a case number. */
  number: number | null;
  /** The row checked as a new case (ahead of the transaction, or in it when the case turns out new). */
  asNew?: CheckedCase;
}

function readNumber(r: CaseImportRow): number | null {
  const t = r.caseNumber?.trim();
  if (!t) return null;
  return /^\d{1,15}$/.test(t) && Number(t) >= 1 ? Number(t) : NaN;
}

/** The API's rules on a row's fields; `before`: the case it updates (retired keys it holds stay allowed). */
function checkCase(
  r: CaseImportRow,
  before: CaseRowLite | undefined,
  lists: CaseLists,
  cf: CustomFieldValidator,
): CheckedCase {
  const errors: FieldError[] = [];
  const text = (v: string | null | undefined) => (v === undefined ? undefined : (v?.trim() ?? ''));
  const subject = text(r.subject);
  const description = r.description === undefined ? undefined : (r.description ?? '');
  if (subject !== undefined && (subject.length < 1 || subject.length > 500))
    errors.push({ field: 'subject', message: subject ? 'is longer than 500 characters' : 'required' });
  if (!before && subject === undefined) errors.push({ field: 'subject', message: 'required' });
  if (description !== undefined && description.length > 100000)
    errors.push({ field: 'description', message: 'is longer than 100000 characters' });
  const item = (list: ListItem[], field: string, raw: string | null | undefined, current: string | null) => {
    if (raw === undefined || raw === null || raw.trim() === '') return undefined;
    const found = pick(list, raw);
    if (!found || (found.retired && found.key !== current)) {
      errors.push({
        field,
        message: `unknown ${field} "${raw.trim()}" (${list
          .filter((x) => !x.retired)
          .map((x) => x.key)
          .join(', ')})`,
      });
      return undefined;
    }
    return found;
  };
  const status = item(lists.statuses, 'status', r.status, before?.status ?? null);
  const priority = item(lists.priorities, 'priority', r.priority, before?.priority ?? null);
  const severity = item(lists.severities, 'severity', r.severity, before?.severity ?? null);
  const visibility = text(r.visibility)?.toLowerCase();
  if (visibility && !(VISIBILITIES as readonly string[]).includes(visibility))
    errors.push({ field: 'visibility', message: 'must be public or private' });
  const channel = text(r.channel)?.toLowerCase();
  if (channel && !(CHANNELS as readonly string[]).includes(channel))
    errors.push({ field: 'channel', message: `must be one of ${CHANNELS.join(', ')}` });
  const time = (field: string, raw: string | null | undefined) => {
    if (raw === undefined || raw === null || raw.trim() === '') return raw === null ? null : undefined;
    const d = readTime(raw);
    if (!d) errors.push({ field, message: TIME_HINT });
    return d ?? undefined;
  };
  const openedAt = time('openedAt', r.openedAt);
  const closedAt = time('closedAt', r.closedAt);
  if (errors.length) return { errors };
  let custom: CheckedCase['custom'];
  try {
    custom = {
      values: before ? cf.validate(r.customFields ?? {}, before.custom_fields) : cf.validate(r.customFields, undefined),
    };
  } catch (err) {
    if (err instanceof Invalid) custom = { errors: err.errors };
    else throw err;
  }
  return {
    errors,
    subject,
    description,
    status,
    priority,
    severity,
    visibility: visibility as Visibility | undefined,
    channel: channel as CaseChannel | undefined,
    openedAt,
    closedAt,
    custom,
  };
}

/**
 * A chunk's case rows worked out before its transaction (src/db/rows-ahead.ts),
 * against custom field definitions and case settings read without the lock:
 * each row's case number read and its fields checked as a new case's.
 * CaseImporter.plan uses this for a row whose case turns out new, when it
 * reads the same definitions and settings; it always finds the existing
 * cases, and links customers and owners, itself.
 */
export class CaseRowsAhead extends RowsAhead<CaseImportRow, PreparedCase> {
  constructor(
    private readonly cf: CustomFieldValidator,
    settings: CaseSettings,
  ) {
    const lists = listsOf(settings);
    super(inputsKeyOf(cf, lists), (r) => ({ number: readNumber(r), asNew: checkCase(r, undefined, lists, cf) }));
  }

  /** The custom field definitions read (the imports module converts text cells by type). */
  get customFields() {
    return this.cf.definitions;
  }
}

export class CaseImporter {
  private constructor(
    private readonly actor: Actor,
    private readonly mode: CaseImportMode,
    private readonly matchByNumber: boolean,
    private readonly cf: CustomFieldValidator,
    private readonly lists: CaseLists,
  ) {}

  static async prepare(actor: Actor, mode: CaseImportMode, match: string[], tx?: Queryable): Promise<CaseImporter> {
    if (!tx) throw new Error("an importer works inside the import chunk's transaction");
    const s = await loadSettings(tx);
    return new CaseImporter(
      actor,
      mode,
      match.includes('caseNumber'),
      await prepareCustomFieldValidator(tx, 'case'),
      listsOf(s),
    );
  }

  get customFields() {
    return this.cf.definitions;
  }

  /** The definitions and settings this importer read under the lock, as comparable text. */
  get inputsKey(): string {
    return (this.key ??= inputsKeyOf(this.cf, this.lists));
  }
  private key: string | undefined;

  /**
   * Decides every row's outcome; locks the cases the rows name (in id order).
   * `ahead`: the rows' work done before the transaction, used for the rows it
   * was done for when it was done with the definitions and settings read now.
   */
  async plan(rows: LinkedCaseRow[], ahead: CaseRowsAhead | undefined, tx?: Queryable): Promise<PlannedCase[]> {
    if (!tx) throw new Error("an importer works inside the import chunk's transaction");
    const prepared = rows.map(
      (r): PreparedCase => ahead?.get(r.input, this.inputsKey) ?? { number: readNumber(r.input) },
    );
    const wanted = [
      ...new Set(prepared.map((p) => p.number).filter((n): n is number => n !== null && !Number.isNaN(n))),
    ];
    const existing = new Map<number, CaseRowLite>();
    if (wanted.length) {
      await tx.query('SELECT id FROM cases WHERE case_number = ANY($1::bigint[]) ORDER BY id FOR UPDATE', [wanted]);
      for (const c of await tx.query<CaseRowLite>(
        `SELECT id, case_number, customer_id, subject, description, status, is_open, priority, severity, visibility,
           owner_id, channel, opened_at, closed_at, custom_fields FROM cases WHERE case_number = ANY($1::bigint[])`,
        [wanted],
      ))
        existing.set(c.case_number, c);
    }
    const now = new Date();
    return rows.map(({ input: r, customerId: linked, ownerId }, i): PlannedCase => {
      const fail = (errors: FieldError[]): PlannedCase => ({ row: r.row, outcome: 'failed', errors });
      const { number, asNew } = prepared[i];
      if (number !== null && Number.isNaN(number))
        return fail([{ field: 'caseNumber', message: 'must be a whole number from 1' }]);
      const before = number !== null ? existing.get(number) : undefined;
      if (before && this.mode === 'create') {
        return fail([
          { field: 'caseNumber', message: `case ${number} already exists (mode "create" only adds new cases)` },
        ]);
      }
      if (before && !this.matchByNumber)
        return fail([{ field: 'caseNumber', message: `case ${number} already exists` }]);
      if (!before && this.mode === 'update') {
        return fail([
          {
            field: 'caseNumber',
            message: number === null ? 'no case number to match' : `no case ${number}; mode "update" adds none`,
          },
        ]);
      }
      const checked = before
        ? checkCase(r, before, this.lists, this.cf)
        : (asNew ?? checkCase(r, undefined, this.lists, this.cf));
      // A copy: a step retried after a deadlock plans the same rows again.
      const errors = [...checked.errors];
      const customerId = linked ?? before?.customer_id ?? null;
      if (!customerId) errors.push({ field: 'customer', message: 'required: the customer’s account number or email' });
      if (errors.length || !checked.custom) return fail(errors);
      if ('errors' in checked.custom) return fail([...checked.custom.errors]);

      const defaultOf = (list: ListItem[]) => (list.find((x) => x.isDefault) ?? list[0]).key;
      const st =
        checked.status ?? (before ? pick(this.lists.statuses, before.status)! : pick(this.lists.statuses, 'open')!);
      const isOpen = st.isOpen ?? true;
      const opened = checked.openedAt ?? before?.opened_at ?? now;
      const values: CaseValues = {
        customerId: customerId!,
        caseNumber: number,
        subject: checked.subject ?? before!.subject,
        description: checked.description ?? before?.description ?? '',
        status: st.key,
        isOpen,
        priority: checked.priority?.key ?? before?.priority ?? defaultOf(this.lists.priorities),
        severity: checked.severity?.key ?? before?.severity ?? defaultOf(this.lists.severities),
        visibility: checked.visibility ?? before?.visibility ?? 'public',
        channel: checked.channel ?? before?.channel ?? 'other',
        ownerId: ownerId !== undefined ? ownerId : (before?.owner_id ?? null),
        openedAt: opened,
        closedAt: isOpen ? null : (checked.closedAt ?? before?.closed_at ?? opened),
        customFields: checked.custom.values,
      };
      const record = { caseNumber: number, ...caseView(values) };
      if (!before) {
        const claims = number !== null ? [`n:${number}`] : [];
        return {
          row: r.row,
          outcome: 'create',
          id: randomUUID(),
          values,
          changes: diffFields({}, record),
          claims,
          record,
        };
      }
      const old: CaseValues = {
        customerId: before.customer_id,
        caseNumber: before.case_number,
        subject: before.subject,
        description: before.description,
        status: before.status,
        isOpen: before.is_open,
        priority: before.priority,
        severity: before.severity,
        visibility: before.visibility,
        channel: before.channel,
        ownerId: before.owner_id,
        openedAt: before.opened_at,
        closedAt: before.closed_at,
        customFields: before.custom_fields,
      };
      const changes = diffFields(caseView(old), caseView(values));
      return {
        row: r.row,
        outcome: changes.length ? 'update' : 'unchanged',
        id: before.id,
        values,
        changes,
        claims: [`id:${before.id}`, `n:${before.case_number}`],
        record,
      };
    });
  }

  async write(
    rows: Extract<PlannedCase, { outcome: 'create' | 'update' | 'unchanged' }>[],
    tx?: Queryable,
  ): Promise<void> {
    if (!tx) throw new Error("an importer works inside the import chunk's transaction");
    const creates = rows.filter((r) => r.outcome === 'create');
    const updates = rows.filter((r) => r.outcome === 'update');
    const json = (id: string, v: CaseValues) => ({
      id,
      case_number: v.caseNumber,
      customer_id: v.customerId,
      subject: v.subject,
      description: v.description,
      status: v.status,
      is_open: v.isOpen,
      priority: v.priority,
      severity: v.severity,
      visibility: v.visibility,
      owner_id: v.ownerId,
      channel: v.channel,
      opened_at: v.openedAt.toISOString(),
      closed_at: v.closedAt ? v.closedAt.toISOString() : null,
      custom_fields: v.customFields,
    });
    const cols = `id uuid, case_number bigint, customer_id uuid, subject text, description text, status text,
      is_open boolean, priority text, severity text, visibility text, owner_id uuid, channel text,
      opened_at timestamptz, closed_at timestamptz, custom_fields jsonb`;
    const history: HistoryInput[] = [];
    if (creates.length) {
      const inserted = await tx.query<{ id: string; case_number: number }>(
        `INSERT INTO cases (id, case_number, customer_id, subject, description, status, is_open, priority, severity,
           visibility, owner_id, channel, opened_at, closed_at, custom_fields, created_by, updated_by)
         SELECT x.id, coalesce(x.case_number, sb_next_case_number()), x.customer_id, x.subject, x.description,
           x.status, x.is_open, x.priority, x.severity, x.visibility, x.owner_id, x.channel, x.opened_at, x.closed_at,
           x.custom_fields, $2, $2
         FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (${cols})) WITH ORDINALITY AS x
         ORDER BY x.ordinality
         RETURNING id, case_number`,
        [JSON.stringify(creates.map((c) => json(c.id, c.values))), this.actor.userId],
      );
      const numbers = new Map(inserted.map((r) => [r.id, r.case_number]));
      for (const c of creates) {
        c.values.caseNumber = numbers.get(c.id) ?? c.values.caseNumber;
        history.push({
          recordType: 'case',
          recordId: c.id,
          action: 'create',
          changes: diffFields({}, { caseNumber: c.values.caseNumber, ...caseView(c.values) }),
        });
      }
    }
    if (updates.length) {
      await tx.query(
        `UPDATE cases c SET customer_id = x.customer_id, subject = x.subject, description = x.description,
           status = x.status, is_open = x.is_open, priority = x.priority, severity = x.severity,
           visibility = x.visibility, owner_id = x.owner_id, channel = x.channel, opened_at = x.opened_at,
           closed_at = x.closed_at, custom_fields = x.custom_fields, version = c.version + 1, updated_at = now(),
           updated_by = $2
         FROM jsonb_to_recordset($1::jsonb) AS x(${cols})
         WHERE c.id = x.id`,
        [JSON.stringify(updates.map((u) => json(u.id, u.values))), this.actor.userId],
      );
      for (const u of updates)
        history.push({ recordType: 'case', recordId: u.id, action: 'update', changes: u.changes });
    }
    await recordHistoryMany(tx, this.actor, history);
  }
}

// ---------------------------------------------------------------- follow-ups

export interface FollowUpImportRow {
  row: number;
  caseNumber?: string | null;
  kind?: string | null;
  direction?: string | null;
  visibility?: string | null;
  body?: string | null;
  authorName?: string | null;
  authorType?: string | null;
  createdAt?: string | null;
  customFields?: Record<string, unknown>;
}

interface FollowUpValues {
  caseId: string;
  caseNumber: number;
  kind: FollowUpKind;
  direction: 'inbound' | 'outbound' | null;
  visibility: 'public' | 'internal';
  body: string;
  authorType: 'user' | 'customer' | 'system';
  authorName: string;
  createdAt: Date;
  customFields: Record<string, unknown>;
}

export type PlannedFollowUp =
  | { row: number; outcome: 'failed'; errors: FieldError[] }
  | {
      row: number;
      outcome: 'create' | 'unchanged';
      id: string;
      values: FollowUpValues;
      claims: string[];
      record: Record<string, unknown>;
    };

const bodyHash = (s: string) => createHash('sha256').update(s).digest('hex');

/** What a follow-up row needs no database for: everything but its case. */
interface PreparedFollowUp {
  /** null: not a case number. */
  number: number | null;
  /** The row's own errors (its case is found in the transaction). */
  errors: FieldError[];
  /** When they hold: the values but the case and, when the row has none, the time. */
  fields?: Omit<FollowUpValues, 'caseId' | 'caseNumber' | 'createdAt'> & { createdAt?: Date; bodyHash: string };
}

function prepareFollowUp(r: FollowUpImportRow, cf: CustomFieldValidator): PreparedFollowUp {
  const t = r.caseNumber?.trim() ?? '';
  const number = /^\d{1,15}$/.test(t) ? Number(t) : null;
  const errors: FieldError[] = [];
  const kind = (r.kind?.trim().toLowerCase() || 'note') as FollowUpKind;
  if (!FOLLOW_UP_KINDS.includes(kind))
    errors.push({ field: 'kind', message: `must be one of ${FOLLOW_UP_KINDS.join(', ')}` });
  const direction = r.direction?.trim().toLowerCase() || null;
  if (direction && direction !== 'inbound' && direction !== 'outbound')
    errors.push({ field: 'direction', message: 'must be inbound or outbound' });
  const visibility = r.visibility?.trim().toLowerCase() || 'internal';
  if (visibility !== 'public' && visibility !== 'internal')
    errors.push({ field: 'visibility', message: 'must be public or internal' });
  const body = r.body ?? '';
  if (body.trim() === '') errors.push({ field: 'body', message: 'must not be empty' });
  else if (body.length > 1_000_000) errors.push({ field: 'body', message: 'is longer than 1000000 characters' });
  const authorType = (r.authorType?.trim().toLowerCase() || (direction === 'inbound' ? 'customer' : 'user')) as
    'user' | 'customer' | 'system';
  if (!['user', 'customer', 'system'].includes(authorType))
    errors.push({ field: 'authorType', message: 'must be user, customer or system' });
  const authorName = r.authorName?.trim() || 'Imported';
  if (authorName.length > 200) errors.push({ field: 'authorName', message: 'is longer than 200 characters' });
  let createdAt: Date | undefined;
  if (r.createdAt && r.createdAt.trim()) {
    const d = readTime(r.createdAt);
    if (!d) errors.push({ field: 'createdAt', message: TIME_HINT });
    else createdAt = d;
  }
  let customFields: Record<string, unknown> = {};
  try {
    customFields = cf.validate(r.customFields, undefined);
  } catch (err) {
    if (err instanceof Invalid) errors.push(...err.errors);
    else throw err;
  }
  if (errors.length) return { number, errors };
  return {
    number,
    errors,
    fields: {
      kind,
      direction: direction as FollowUpValues['direction'],
      visibility: visibility as FollowUpValues['visibility'],
      body,
      authorType,
      authorName,
      createdAt,
      customFields,
      bodyHash: bodyHash(body),
    },
  };
}

/**
 * A chunk's follow-up rows worked out before its transaction (src/db/rows-ahead.ts),
 * against custom field definitions read without the lock: everything but
 * finding each row's case. FollowUpImporter.plan uses it when it reads the
 * same definitions under its lock.
 */
export class FollowUpRowsAhead extends RowsAhead<FollowUpImportRow, PreparedFollowUp> {
  constructor(private readonly cf: CustomFieldValidator) {
    super(definitionsKey(cf.definitions), (r) => prepareFollowUp(r, cf));
  }

  /** The custom field definitions read (the imports module converts text cells by type). */
  get customFields() {
    return this.cf.definitions;
  }
}

/**
 * Follow-ups are append-only: `create` adds every row; `upsert` skips a row
 * whose follow-up (same case, time, kind and text) is already there, so the
 * same file imported twice adds nothing.
 */
export class FollowUpImporter {
  private constructor(
    private readonly actor: Actor,
    private readonly mode: 'create' | 'upsert',
    private readonly cf: CustomFieldValidator,
  ) {}

  static async prepare(actor: Actor, mode: 'create' | 'upsert', tx?: Queryable): Promise<FollowUpImporter> {
    if (!tx) throw new Error("an importer works inside the import chunk's transaction");
    return new FollowUpImporter(actor, mode, await prepareCustomFieldValidator(tx, 'followUp'));
  }

  get customFields() {
    return this.cf.definitions;
  }

  /** The definitions this importer read under the lock, as comparable text. */
  get inputsKey(): string {
    return (this.key ??= definitionsKey(this.cf.definitions));
  }
  private key: string | undefined;

  /** `ahead`: the rows' work done before the transaction, used when done with the definitions read now. */
  async plan(
    rows: FollowUpImportRow[],
    ahead: FollowUpRowsAhead | undefined,
    tx?: Queryable,
  ): Promise<PlannedFollowUp[]> {
    if (!tx) throw new Error("an importer works inside the import chunk's transaction");
    const prepared = rows.map((r) => ahead?.get(r, this.inputsKey) ?? prepareFollowUp(r, this.cf));
    const wanted = [...new Set(prepared.map((p) => p.number).filter((n): n is number => n !== null))];
    const cases = new Map<number, string>();
    if (wanted.length) {
      for (const c of await tx.query<{ id: string; case_number: number }>(
        'SELECT id, case_number FROM cases WHERE case_number = ANY($1::bigint[])',
        [wanted],
      ))
        cases.set(c.case_number, c.id);
    }
    const now = new Date();
    const planned = rows.map((r, i): PlannedFollowUp => {
      const { number, errors: own, fields } = prepared[i];
      const caseId = number !== null ? cases.get(number) : undefined;
      const errors: FieldError[] = [];
      if (number === null) errors.push({ field: 'caseNumber', message: 'required: the number of the case' });
      else if (!caseId) errors.push({ field: 'caseNumber', message: `no case ${number}` });
      errors.push(...own);
      if (errors.length || !fields) return { row: r.row, outcome: 'failed', errors };
      const { bodyHash: hash, ...rest } = fields;
      const values: FollowUpValues = {
        ...rest,
        caseId: caseId!,
        caseNumber: number!,
        createdAt: fields.createdAt ?? now,
      };
      const { kind, authorName, body, createdAt } = values;
      const record = {
        caseNumber: number,
        kind,
        direction: values.direction,
        visibility: values.visibility,
        author: authorName,
        createdAt: createdAt.toISOString(),
        body: body.length > 200 ? `${body.slice(0, 200)}…` : body,
      };
      const claim = `f:${caseId}:${createdAt.toISOString()}:${kind}:${hash}`;
      return { row: r.row, outcome: 'create', id: randomUUID(), values, claims: [claim], record };
    });
    if (this.mode === 'upsert') {
      const ok = planned.filter((p): p is Exclude<PlannedFollowUp, { outcome: 'failed' }> => p.outcome === 'create');
      if (ok.length) {
        const found = await tx.query<{ case_id: string; created_at: Date; kind: string; h: string }>(
          `SELECT case_id, created_at, kind, encode(sha256(convert_to(body, 'UTF8')), 'hex') AS h FROM case_follow_ups
           WHERE case_id = ANY($1::uuid[]) AND created_at = ANY($2::timestamptz[])`,
          [[...new Set(ok.map((p) => p.values.caseId))], [...new Set(ok.map((p) => p.values.createdAt.toISOString()))]],
        );
        const have = new Set(found.map((f) => `f:${f.case_id}:${f.created_at.toISOString()}:${f.kind}:${f.h}`));
        for (const p of ok) if (have.has(p.claims[0])) p.outcome = 'unchanged';
      }
    }
    return planned;
  }

  async write(rows: Extract<PlannedFollowUp, { outcome: 'create' | 'unchanged' }>[], tx?: Queryable): Promise<void> {
    if (!tx) throw new Error("an importer works inside the import chunk's transaction");
    const creates = rows.filter((r) => r.outcome === 'create');
    if (creates.length === 0) return;
    await tx.query(
      `INSERT INTO case_follow_ups (id, case_id, kind, direction, visibility, body, author_type, author_id, author_name,
         channel, custom_fields, created_at)
       SELECT x.id, x.case_id, x.kind, x.direction, x.visibility, x.body, x.author_type, NULL, x.author_name, 'import',
         x.custom_fields, x.created_at
       FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (id uuid, case_id uuid, kind text, direction text,
         visibility text, body text, author_type text, author_name text, custom_fields jsonb, created_at timestamptz))
         WITH ORDINALITY AS x
       ORDER BY x.ordinality`,
      [
        JSON.stringify(
          creates.map((c) => ({
            id: c.id,
            case_id: c.values.caseId,
            kind: c.values.kind,
            direction: c.values.direction,
            visibility: c.values.visibility,
            body: c.values.body,
            author_type: c.values.authorType,
            author_name: c.values.authorName,
            custom_fields: c.values.customFields,
            created_at: c.values.createdAt.toISOString(),
          })),
        ),
      ],
    );
    await recordHistoryMany(
      tx,
      this.actor,
      creates.map((c) => ({
        recordType: 'case',
        recordId: c.values.caseId,
        action: 'followUp',
        changes: [
          {
            field: 'followUps',
            from: null,
            to: {
              id: c.id,
              kind: c.values.kind,
              visibility: c.values.visibility,
              direction: c.values.direction,
              author: c.values.authorName,
            },
          },
        ],
      })),
    );
  }
}
