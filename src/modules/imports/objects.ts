import type { Queryable } from '../../db/adapter.js';
import type { Actor } from '../../http/actor.js';
import type { FieldError } from '../../http/errors.js';
import type { Services } from '../../services.js';
import type { FieldDef } from '../custom-fields/validate.js';
import type {
  CustomerImportFields,
  CustomerImportOptions,
  CustomerImportRow,
  CustomerMatchKey,
  CustomerRowsAhead,
  ImportMode,
  PlannedCustomer,
  WritableCustomer,
} from '../customers/import.js';
import { PhoneMemo } from '../customers/phones.js';
import type { Address, PhoneType } from '../customers/schema.js';
import type {
  CaseImportRow,
  CaseRowsAhead,
  FollowUpImportRow,
  FollowUpRowsAhead,
  LinkedCaseRow,
  PlannedCase,
  PlannedFollowUp,
} from '../cases/import.js';
import {
  customFieldCell,
  readBoolean,
  splitName,
  targetsFor,
  type ImportObjectType,
  type Mapping,
  type Target,
} from './mapping.js';

/**
 * The bridge between a file's rows and the module that owns the records:
 * rows are read through the mapping, handed to that module's bulk importer
 * (customers.importer, …), and its answers are turned into row outcomes with
 * errors naming the file's columns.
 */

/** One data row of the file: its values by column, and what it was (for the errors file). */
export interface SourceRow {
  row: number;
  get(column: string): unknown;
  /** The row as read: the CSV cells, or the JSON object. */
  record: unknown;
}

interface RowError {
  column: string | null;
  value: string | null;
  message: string;
}

export type Outcome = 'create' | 'update' | 'unchanged' | 'failed';

export interface RowPlan {
  row: number;
  outcome: Outcome;
  errors: RowError[];
  claims: string[];
  /** The record as it would be stored (preview). */
  record: Record<string, unknown> | null;
}

export interface ImportSettings {
  mapping: Mapping;
  mode: ImportMode;
  match: string[];
  region: string;
  replacePhones: boolean;
}

/** What a run keeps from chunk to chunk: pure memories, never database state (which only the chunk's transaction reads). */
interface RunMemo {
  phones: PhoneMemo;
}

export function newRunMemo(): RunMemo {
  return { phones: new PhoneMemo() };
}

/** The phone cells of a row, as the customers' import row lists them. */
function phoneCells(raw: unknown, phoneType: PhoneType | undefined): { type: PhoneType; number: string }[] {
  const out: { type: PhoneType; number: string }[] = [];
  for (const item of Array.isArray(raw) ? raw : [raw]) {
    const number = typeof item === 'object' && item !== null ? (item as { number?: unknown }).number : item;
    const type = (typeof item === 'object' && item !== null && (item as { type?: PhoneType }).type) || phoneType;
    if (isBlank(number)) continue;
    out.push({ type: type ?? 'voice', number: cellText(number) ?? '' });
  }
  return out;
}

/** Rows between two yields while a chunk is worked out ahead: short, so the running chunk's replies wait little. */
const AHEAD_SLICE = 20;

/**
 * A chunk's work done before its transaction (prepareAhead), for the factory
 * of the chunk: used for these very rows (`source`) only.
 */
export interface ChunkAhead {
  source: SourceRow[];
  customers?: { read: ReturnType<typeof customerRow>[]; rows: CustomerRowsAhead };
  cases?: { read: CaseRead[]; rows: CaseRowsAhead };
  followUps?: { read: FollowUpRead[]; rows: FollowUpRowsAhead };
}

/** Reads the rows one by one, yielding every few rows so the running chunk's replies wait little. */
async function eachAhead<T>(source: SourceRow[], read: (src: SourceRow) => T): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < source.length; i++) {
    out.push(read(source[i]));
    if (i % AHEAD_SLICE === AHEAD_SLICE - 1) await new Promise((done) => setImmediate(done));
  }
  return out;
}

/** The part of the chunk's work done ahead, when done for these rows with the inputs the importer read under the lock. */
function usableAhead<Part extends { rows: { madeWith(inputsKey: string): boolean } }>(
  chunk: ChunkAhead | undefined,
  part: Part | undefined,
  rows: SourceRow[],
  inputsKey: string,
): Part | undefined {
  return chunk?.source === rows && part?.rows.madeWith(inputsKey) ? part : undefined;
}

/**
 * The part of a chunk's work that needs no lock, done before its transaction:
 * the runner calls it on the next chunk while the previous one writes, so
 * this CPU overlaps the database's. The rows are read through the mapping and
 * handed to their module's read-ahead (src/db/rows-ahead.ts): customers get
 * their phones normalised, checked and planned as new records with their
 * statement rows (customers/import.ts, CustomerRowsAhead); cases get their
 * fields checked as new cases' (cases/import.ts, CaseRowsAhead); follow-ups
 * everything but finding their case (FollowUpRowsAhead). All against custom
 * field definitions (and case settings) read without the lock; the
 * chunk's transaction uses this only if it reads the same under the lock.
 */
export async function prepareAhead(
  objectType: ImportObjectType,
  source: SourceRow[],
  settings: ImportSettings,
  targets: Map<string, Target>,
  memo: RunMemo,
  services: Services,
  actor: Actor,
): Promise<ChunkAhead | undefined> {
  if (source.length === 0) return undefined;
  if (objectType === 'customers') {
    const rows = await services.customers.importAhead(actor, customerOptions(settings, memo));
    const cfDefs = new Map(rows.customFields.map((d) => [d.key, d]));
    const plan = mappingPlan(settings.mapping, targets);
    const read = await eachAhead(source, (src) => {
      const r = customerRow(src, plan, cfDefs);
      if (r.errors.length === 0) rows.add(r.row);
      return r;
    });
    return { source, customers: { read, rows } };
  }
  if (objectType === 'cases') {
    const rows = await services.cases.importAhead(actor);
    const cfDefs = new Map(rows.customFields.map((d) => [d.key, d]));
    const plan = mappingPlan(settings.mapping, targets);
    const read = await eachAhead(source, (src) => {
      const r = caseRead(src, plan, cfDefs);
      rows.add(r.input);
      return r;
    });
    return { source, cases: { read, rows } };
  }
  const rows = await services.cases.followUpImportAhead(actor);
  const cfDefs = new Map(rows.customFields.map((d) => [d.key, d]));
  const plan = mappingPlan(settings.mapping, targets);
  const read = await eachAhead(source, (src) => {
    const r = followUpRead(src, plan, cfDefs);
    rows.add(r.input);
    return r;
  });
  return { source, followUps: { read, rows } };
}

/** A prepared importer for one chunk, inside its transaction. */
export interface ObjectImport {
  plan(rows: SourceRow[]): Promise<RowPlan[]>;
  /** Writes these rows' planned creates and updates (all or none: the caller isolates failures). */
  write(rows: number[]): Promise<void>;
}

const cellText = (v: unknown): string | null => {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
};
const isBlank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/** One column of the mapping, with what every row reads the same way worked out once. */
interface MappedColumn {
  column: string;
  target: Target;
  /** A blank cell clears the stored value. */
  clear: boolean;
  phoneType: PhoneType | undefined;
  /** The custom field's key, for a `customFields.<key>` target; else null. */
  customKey: string | null;
  /** The address and part, for an address target (`primaryAddress.city`); else null. */
  address: { group: 'primaryAddress' | 'secondaryAddress'; part: string } | null;
}

/**
 * A mapping as every row of an import reads it: its columns with their
 * targets, and which column each field came from (row errors name it). The
 * same for every row, so worked out once per import (per mapping and targets),
 * not per row.
 */
interface MappingPlan {
  columns: MappedColumn[];
  /** The column each field came from (a full name: firstName and lastName too); phones are per cell. */
  byField: Map<string, string>;
}

const plans = new WeakMap<Map<string, Target>, { mapping: Mapping; plan: MappingPlan }>();

function mappingPlan(mapping: Mapping, targets: Map<string, Target>): MappingPlan {
  const known = plans.get(targets);
  if (known && known.mapping === mapping) return known.plan;
  const columns: MappedColumn[] = [];
  const byField = new Map<string, string>();
  for (const m of mapping.columns) {
    const target = targets.get(m.column)!;
    const f = target.field;
    const customKey = f.startsWith('customFields.') ? f.slice('customFields.'.length) : null;
    let address: MappedColumn['address'] = null;
    if (target.kind !== 'phone' && customKey === null && f.includes('.')) {
      const [group, part] = f.split('.') as ['primaryAddress' | 'secondaryAddress', string];
      address = { group, part };
    }
    columns.push({ column: m.column, target, clear: m.blank === 'clear', phoneType: m.phoneType, customKey, address });
    if (target.kind === 'phone') continue;
    byField.set(f, m.column);
    if (f === 'name') {
      byField.set('firstName', m.column);
      byField.set('lastName', m.column);
    }
  }
  const plan = { columns, byField };
  plans.set(targets, { mapping, plan });
  return plan;
}

/** The column of each phone number the row lists, in order (phones.<i> of the importer's errors). */
function phoneColumnsOf(plan: MappingPlan, row: SourceRow): string[] {
  const out: string[] = [];
  for (const c of plan.columns) {
    if (c.target.kind !== 'phone') continue;
    for (let n = phoneCells(row.get(c.column), c.phoneType).length; n > 0; n--) out.push(c.column);
  }
  return out;
}

/** An importer's error on a row, naming the column (and the cell) its field came from. */
function columnError(plan: MappingPlan, row: SourceRow, e: FieldError): RowError {
  const phone = /^phones\.(\d+)/.exec(e.field);
  const column = phone
    ? (phoneColumnsOf(plan, row)[Number(phone[1])] ?? null)
    : (plan.byField.get(e.field) ??
      plan.byField.get(e.field.split('.').slice(0, 2).join('.')) ??
      plan.byField.get(e.field.split('.')[0]) ??
      null);
  const value = column === null ? null : cellText(row.get(column));
  const what = column === null ? `${e.field}: ` : '';
  return { column, value: value === null ? null : value.slice(0, 200), message: `${what}${e.message}` };
}

/** Reads a row through the mapping into the customers module's import row. */
function customerRow(
  src: SourceRow,
  plan: MappingPlan,
  cfDefs: Map<string, FieldDef>,
): { row: CustomerImportRow; src: SourceRow; errors: RowError[] } {
  const fields: CustomerImportFields = {};
  const phones: { type: PhoneType; number: string }[] = [];
  const errors: RowError[] = [];
  let phoneClear = false;
  let anyPhoneColumn = false;
  for (const m of plan.columns) {
    const t = m.target;
    const raw = src.get(m.column);
    const clear = m.clear;
    if (t.kind === 'phone') {
      anyPhoneColumn = true;
      const cells = phoneCells(raw, m.phoneType);
      for (const p of cells) phones.push(p);
      if (clear && (Array.isArray(raw) ? raw : [raw]).every(isBlank)) phoneClear = true;
      continue;
    }
    if (isBlank(raw) && !clear) continue;
    const text = isBlank(raw) ? null : (cellText(raw) as string);
    if (t.field === 'name') {
      const { firstName, lastName } = splitName(text ?? '');
      fields.firstName = firstName;
      fields.lastName = lastName;
    } else if (t.kind === 'boolean') {
      const b = text === null ? null : typeof raw === 'boolean' ? raw : readBoolean(text);
      if (b === undefined) errors.push({ column: m.column, value: text, message: 'must be yes or no (true/false)' });
      else (fields as Record<string, unknown>)[t.field] = b;
    } else if (m.customKey !== null) {
      const def = cfDefs.get(m.customKey);
      fields.customFields ??= {};
      fields.customFields[m.customKey] = text === null ? null : def ? customFieldCell(def, raw) : text;
    } else if (m.address !== null) {
      (fields[m.address.group] ??= {})[m.address.part as keyof Address] = text;
    } else {
      (fields as Record<string, unknown>)[t.field] = text;
    }
  }
  return {
    row: { row: src.row, fields, phones, clearPhones: anyPhoneColumn && phoneClear && phones.length === 0 },
    src,
    errors,
  };
}

type Factory = (
  tx: Queryable,
  actor: Actor,
  settings: ImportSettings,
  services: Services,
  mappingTargets: Map<string, Target>,
  memo: RunMemo,
  ahead?: ChunkAhead,
) => Promise<ObjectImport>;

function customerOptions(settings: ImportSettings, memo: RunMemo): CustomerImportOptions {
  return {
    mode: settings.mode,
    match: settings.match as CustomerMatchKey[],
    region: settings.region,
    replacePhones: settings.replacePhones,
    phoneMemo: memo.phones,
  };
}

const customersFactory: Factory = async (tx, actor, settings, services, mappingTargets, memo, chunkAhead) => {
  const importer = await services.customers.importer(actor, customerOptions(settings, memo), tx);
  const cfDefs = new Map(importer.customFields.map((d) => [d.key, d]));
  const mapping = mappingPlan(settings.mapping, mappingTargets);
  const planned = new Map<number, PlannedCustomer>();
  return {
    async plan(rows) {
      // The work done ahead holds if it was done for these rows with the definitions read now, under the lock.
      const ahead = usableAhead(chunkAhead, chunkAhead?.customers, rows, importer.definitionsKey);
      const read = ahead ? ahead.read : rows.map((r) => customerRow(r, mapping, cfDefs));
      const ok = read.filter((r) => r.errors.length === 0);
      const plans = await importer.plan(
        ok.map((r) => r.row),
        ahead?.rows,
        tx,
      );
      const byRow = new Map(plans.map((p) => [p.row, p]));
      return read.map((r): RowPlan => {
        if (r.errors.length) return { row: r.row.row, outcome: 'failed', errors: r.errors, claims: [], record: null };
        const p = byRow.get(r.row.row)!;
        planned.set(p.row, p);
        if (p.outcome === 'failed') {
          return {
            row: p.row,
            outcome: 'failed',
            errors: p.errors.map((e) => columnError(mapping, r.src, e)),
            claims: [],
            record: null,
          };
        }
        return { row: p.row, outcome: p.outcome, errors: [], claims: p.claims, record: p.record };
      });
    },
    async write(rows) {
      const list = rows
        .map((n) => planned.get(n))
        .filter((p): p is WritableCustomer => p !== undefined && (p.outcome === 'create' || p.outcome === 'update'));
      await importer.write(list, tx);
    },
  };
};

/** A row's mapped cells as text by field (null: a blank cell mapped to clear), custom fields converted by type. */
function readFields(src: SourceRow, plan: MappingPlan, cfDefs: Map<string, FieldDef>) {
  const fields: Record<string, string | null> = {};
  const customFields: Record<string, unknown> = {};
  let anyCustom = false;
  for (const m of plan.columns) {
    const raw = src.get(m.column);
    if (isBlank(raw) && !m.clear) continue;
    const text = isBlank(raw) ? null : cellText(raw);
    if (m.customKey !== null) {
      const def = cfDefs.get(m.customKey);
      customFields[m.customKey] = text === null ? null : def ? customFieldCell(def, raw) : text;
      anyCustom = true;
    } else fields[m.target.field] = text;
  }
  return { fields, customFields: anyCustom ? customFields : undefined };
}

/** A case row read through the mapping: its fields, and the keys of its customer and owner (linked in the transaction). */
interface CaseRead {
  src: SourceRow;
  input: CaseImportRow;
  account: string | undefined;
  email: string | undefined;
  /** The owner cell: undefined when not mapped or blank, null when cleared. */
  owner: string | null | undefined;
}

function caseRead(src: SourceRow, plan: MappingPlan, cfDefs: Map<string, FieldDef>): CaseRead {
  const { fields: f, customFields } = readFields(src, plan, cfDefs);
  return {
    src,
    account: f['customer.accountNumber']?.trim() || undefined,
    email: f['customer.email']?.trim().toLowerCase() || undefined,
    owner: f.owner,
    input: {
      row: src.row,
      caseNumber: f.caseNumber,
      subject: f.subject,
      description: f.description,
      status: f.status,
      priority: f.priority,
      severity: f.severity,
      visibility: f.visibility,
      channel: f.channel,
      openedAt: f.openedAt,
      closedAt: f.closedAt,
      customFields,
    },
  };
}

const casesFactory: Factory = async (tx, actor, settings, services, mappingTargets, _memo, chunkAhead) => {
  const importer = await services.cases.importer(actor, settings.mode, settings.match, tx);
  const cfDefs = new Map(importer.customFields.map((d) => [d.key, d]));
  const mapping = mappingPlan(settings.mapping, mappingTargets);
  const planned = new Map<number, PlannedCase>();
  return {
    async plan(rows) {
      // The work done ahead holds if it was done for these rows with the definitions and settings read now.
      const ahead = usableAhead(chunkAhead, chunkAhead?.cases, rows, importer.inputsKey);
      const read = ahead ? ahead.read : rows.map((r) => caseRead(r, mapping, cfDefs));
      const accounts = new Set<string>();
      const emails = new Set<string>();
      const owners = new Set<string>();
      for (const r of read) {
        const o = r.owner?.trim().toLowerCase();
        if (r.account) accounts.add(r.account);
        if (r.email) emails.add(r.email);
        if (o) owners.add(o);
      }
      const customers = await services.customers.idsByKeys(
        actor,
        { accountNumbers: [...accounts], emails: [...emails] },
        tx,
      );
      const ownerIds = await services.users.activeIdsByEmail([...owners], tx);
      const out: RowPlan[] = [];
      const linked: LinkedCaseRow[] = [];
      for (const r of read) {
        const errors: RowError[] = [];
        const { account: a, email: e } = r;
        const byA = a ? customers.byAccountNumber.get(a) : undefined;
        const byE = e ? customers.byEmail.get(e) : undefined;
        if (a && !byA)
          errors.push(
            columnError(mapping, r.src, {
              field: 'customer.accountNumber',
              message: 'no customer has this account number',
            }),
          );
        if (!a && e && !byE)
          errors.push(columnError(mapping, r.src, { field: 'customer.email', message: 'no customer has this email' }));
        if (byA && byE && byA !== byE)
          errors.push(
            columnError(mapping, r.src, {
              field: 'customer.email',
              message: 'belongs to another customer than the account number',
            }),
          );
        const o = r.owner;
        const ownerKey = o?.trim().toLowerCase();
        const ownerId = ownerKey ? ownerIds.get(ownerKey) : o === null ? null : undefined;
        if (ownerKey && !ownerId)
          errors.push(columnError(mapping, r.src, { field: 'owner', message: 'no active user has this email' }));
        if (errors.length) {
          out.push({ row: r.src.row, outcome: 'failed', errors, claims: [], record: null });
          continue;
        }
        linked.push({ input: r.input, customerId: byA ?? byE ?? null, ownerId });
      }
      const plans = await importer.plan(linked, ahead?.rows, tx);
      const sourceOf = new Map(read.map((r) => [r.src.row, r.src]));
      for (const p of plans) {
        planned.set(p.row, p);
        if (p.outcome === 'failed') {
          const src = sourceOf.get(p.row)!;
          out.push({
            row: p.row,
            outcome: 'failed',
            errors: p.errors.map((e) => columnError(mapping, src, e)),
            claims: [],
            record: null,
          });
        } else out.push({ row: p.row, outcome: p.outcome, errors: [], claims: p.claims, record: p.record });
      }
      return out.sort((x, y) => x.row - y.row);
    },
    async write(rows) {
      const list = rows
        .map((n) => planned.get(n))
        .filter((p): p is Exclude<PlannedCase, { outcome: 'failed' }> => p !== undefined && p.outcome !== 'failed');
      await importer.write(list, tx);
    },
  };
};

/** A follow-up row read through the mapping. */
interface FollowUpRead {
  src: SourceRow;
  input: FollowUpImportRow;
}

function followUpRead(src: SourceRow, plan: MappingPlan, cfDefs: Map<string, FieldDef>): FollowUpRead {
  const { fields: f, customFields } = readFields(src, plan, cfDefs);
  return {
    src,
    input: {
      row: src.row,
      caseNumber: f.caseNumber,
      kind: f.kind,
      direction: f.direction,
      visibility: f.visibility,
      body: f.body,
      authorName: f.authorName,
      authorType: f.authorType,
      createdAt: f.createdAt,
      customFields,
    },
  };
}

const followUpsFactory: Factory = async (tx, actor, settings, services, mappingTargets, _memo, chunkAhead) => {
  const importer = await services.cases.followUpImporter(actor, settings.mode === 'upsert' ? 'upsert' : 'create', tx);
  const cfDefs = new Map(importer.customFields.map((d) => [d.key, d]));
  const mapping = mappingPlan(settings.mapping, mappingTargets);
  const planned = new Map<number, PlannedFollowUp>();
  return {
    async plan(rows) {
      const ahead = usableAhead(chunkAhead, chunkAhead?.followUps, rows, importer.inputsKey);
      const read = ahead ? ahead.read : rows.map((r) => followUpRead(r, mapping, cfDefs));
      const plans = await importer.plan(
        read.map((r) => r.input),
        ahead?.rows,
        tx,
      );
      return plans.map((p, i): RowPlan => {
        planned.set(p.row, p);
        if (p.outcome === 'failed') {
          return {
            row: p.row,
            outcome: 'failed',
            errors: p.errors.map((e) => columnError(mapping, read[i].src, e)),
            claims: [],
            record: null,
          };
        }
        return { row: p.row, outcome: p.outcome, errors: [], claims: p.claims, record: p.record };
      });
    },
    async write(rows) {
      const list = rows
        .map((n) => planned.get(n))
        .filter((p): p is Exclude<PlannedFollowUp, { outcome: 'failed' }> => p !== undefined && p.outcome !== 'failed');
      await importer.write(list, tx);
    },
  };
};

export const FACTORIES: Record<ImportObjectType, Factory> = {
  customers: customersFactory,
  cases: casesFactory,
  followUps: followUpsFactory,
};

/** The custom field definitions of an import's object type (for mapping targets). */
export function cfObjectType(t: ImportObjectType): 'customer' | 'case' | 'followUp' {
  return t === 'customers' ? 'customer' : t === 'cases' ? 'case' : 'followUp';
}

export { targetsFor };
