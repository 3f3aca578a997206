import type { Queryable } from '../../db/adapter.js';
import type { Actor } from '../../http/actor.js';
import type { FieldError } from '../../http/errors.js';
import type { Services } from '../../services.js';
import type { FieldDef } from '../custom-fields/validate.js';
import type {
  CustomerImportFields,
  CustomerImportRow,
  CustomerMatchKey,
  ImportMode,
  PlannedCustomer,
  WritableCustomer,
} from '../customers/import.js';
import type { PhoneType } from '../customers/schema.js';
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

export interface RowError {
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

/** Maps the importer's field names back to the columns they came from. */
class ColumnIndex {
  private readonly byField = new Map<string, string>();
  readonly phoneColumns: string[] = [];
  constructor(private readonly row: SourceRow) {}
  set(field: string, column: string) {
    this.byField.set(field, column);
  }
  error(e: FieldError): RowError {
    const phone = /^phones\.(\d+)/.exec(e.field);
    const column = phone
      ? (this.phoneColumns[Number(phone[1])] ?? null)
      : (this.byField.get(e.field) ??
        this.byField.get(e.field.split('.').slice(0, 2).join('.')) ??
        this.byField.get(e.field.split('.')[0]) ??
        null);
    const value = column === null ? null : cellText(this.row.get(column));
    const what = column === null ? `${e.field}: ` : column === e.field ? '' : `${e.field}: `;
    return { column, value: value === null ? null : value.slice(0, 200), message: `${what}${e.message}` };
  }
}

/** Reads a row through the mapping into the customers module's import row. */
export function customerRow(
  src: SourceRow,
  mapping: Mapping,
  targets: Map<string, Target>,
  cfDefs: Map<string, FieldDef>,
): { row: CustomerImportRow; columns: ColumnIndex; errors: RowError[] } {
  const fields: CustomerImportFields = {};
  const phones: { type: PhoneType; number: string }[] = [];
  const columns = new ColumnIndex(src);
  const errors: RowError[] = [];
  let phoneClear = false;
  let anyPhoneColumn = false;
  for (const m of mapping.columns) {
    const t = targets.get(m.column)!;
    const raw = src.get(m.column);
    const clear = m.blank === 'clear';
    if (t.kind === 'phone') {
      anyPhoneColumn = true;
      const list = Array.isArray(raw) ? raw : [raw];
      for (const item of list) {
        const number = typeof item === 'object' && item !== null ? (item as { number?: unknown }).number : item;
        const type = (typeof item === 'object' && item !== null && (item as { type?: PhoneType }).type) || m.phoneType;
        if (isBlank(number)) continue;
        columns.phoneColumns.push(m.column);
        phones.push({ type: type ?? 'voice', number: cellText(number) ?? '' });
      }
      if (clear && list.every(isBlank)) phoneClear = true;
      continue;
    }
    columns.set(t.field, m.column);
    if (t.field === 'name') {
      columns.set('firstName', m.column);
      columns.set('lastName', m.column);
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
    } else if (t.field.startsWith('customFields.')) {
      const key = t.field.slice('customFields.'.length);
      const def = cfDefs.get(key);
      fields.customFields ??= {};
      fields.customFields[key] = text === null ? null : def ? customFieldCell(def, raw) : text;
    } else if (t.field.includes('.')) {
      const [group, part] = t.field.split('.') as ['primaryAddress' | 'secondaryAddress', string];
      fields[group] = { ...fields[group], [part]: text };
    } else {
      (fields as Record<string, unknown>)[t.field] = text;
    }
  }
  return {
    row: { row: src.row, fields, phones, clearPhones: anyPhoneColumn && phoneClear && phones.length === 0 },
    columns,
    errors,
  };
}

type Factory = (
  tx: Queryable,
  actor: Actor,
  settings: ImportSettings,
  services: Services,
  mappingTargets: Map<string, Target>,
) => Promise<ObjectImport>;

const customersFactory: Factory = async (tx, actor, settings, services, mappingTargets) => {
  const importer = await services.customers.importer(
    actor,
    {
      mode: settings.mode,
      match: settings.match as CustomerMatchKey[],
      region: settings.region,
      replacePhones: settings.replacePhones,
    },
    tx,
  );
  const cfDefs = new Map(importer.customFields.map((d) => [d.key, d]));
  const planned = new Map<number, PlannedCustomer>();
  return {
    async plan(rows) {
      const read = rows.map((r) => customerRow(r, settings.mapping, mappingTargets, cfDefs));
      const ok = read.filter((r) => r.errors.length === 0);
      const plans = await importer.plan(
        tx,
        ok.map((r) => r.row),
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
            errors: p.errors.map((e) => r.columns.error(e)),
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
      await importer.write(tx, list);
    },
  };
};

export const FACTORIES: Record<ImportObjectType, Factory | null> = {
  customers: customersFactory,
  cases: null,
  followUps: null,
};

/** The custom field definitions of an import's object type (for mapping targets). */
export function cfObjectType(t: ImportObjectType): 'customer' | 'case' | 'followUp' {
  return t === 'customers' ? 'customer' : t === 'cases' ? 'case' : 'followUp';
}

export { targetsFor };
