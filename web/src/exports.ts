/**
 * What the console's lists hand to an export (docs/exporting.md, "In the
 * console"): their filters as the export's filters, and their columns, in the
 * order shown, as the export's column keys.
 */
import type { Privilege } from './apiTypes.js';

/** The lists that have an Export button. */
export type ListObject = 'customers' | 'cases';

export type ExportFilterValue = string | number | boolean;

/** A list's query as it sends it to its own endpoint (`/api/v1/customers?…`). */
export type ListQuery = Record<string, string | string[] | number | boolean | null | undefined>;

/** Above this many rows the dialog suggests preparing the file in the background. */
export const LARGE_EXPORT_ROWS = 50_000;

/** The view privilege each list needs, besides data.export. */
export const VIEW_PRIVILEGE: Record<ListObject, Privilege> = {
  customers: 'customers.view',
  cases: 'cases.view',
};

export const OBJECT_LABEL: Record<string, string> = {
  customers: 'customers',
  cases: 'cases',
  followUps: 'follow-ups',
  tasks: 'tasks',
  interactions: 'interactions',
  history: 'history',
};

/** Console column id → the export's column keys (a key may be a group: `phones` is every phone column). */
const COLUMN_KEYS: Record<ListObject, Record<string, string[]>> = {
  customers: {
    accountNumber: ['accountNumber'],
    name: ['firstName', 'lastName'],
    firstName: ['firstName'],
    lastName: ['lastName'],
    company: ['company'],
    email: ['email'],
    phone: ['phones'],
    city: ['primaryAddress.city'],
    postalCode: ['primaryAddress.postalCode'],
    region: ['primaryAddress.region'],
    country: ['primaryAddress.country'],
    vip: ['vip'],
    tags: ['tags'],
    draft: ['draft'],
    createdAt: ['createdAt'],
    updatedAt: ['updatedAt'],
  },
  cases: {
    caseNumber: ['caseNumber'],
    case: ['caseNumber'],
    subject: ['subject'],
    status: ['status'],
    priority: ['priority'],
    severity: ['severity'],
    owner: ['ownerEmail'],
    ownerId: ['ownerEmail'],
    customer: ['customerAccountNumber'],
    channel: ['channel'],
    visibility: ['visibility'],
    tags: ['tags'],
    openedAt: ['openedAt'],
    opened: ['openedAt'],
    closedAt: ['closedAt'],
    updatedAt: ['updatedAt'],
    createdAt: ['createdAt'],
  },
};

/**
 * The export's column keys for a list's columns, in the same order. A custom
 * field column (`cf.<key>` or `customFields.<key>`) is its custom field's column.
 */
export function exportColumns(object: ListObject, columns: string[]): string[] {
  const out: string[] = [];
  for (const c of columns) {
    const cf = /^(?:cf|customFields)\.(.+)$/.exec(c);
    const keys = cf ? [`customFields.${cf[1]}`] : (COLUMN_KEYS[object][c] ?? [c]);
    for (const k of keys) if (!out.includes(k)) out.push(k);
  }
  return out;
}

export interface ExportFilters {
  filters: Record<string, ExportFilterValue>;
  /** Filters of the list that an export cannot apply: the dialog says so instead of exporting more. */
  unsupported: string[];
}

/** Parameters of the list's own that are not filters. */
const NOT_FILTERS = new Set(['sort', 'limit', 'cursor']);

/**
 * The export's filters for a list's query. Anything the mapping does not know
 * is passed on as it is: the server then refuses it, naming it, rather than
 * exporting more than the list shows.
 */
export function exportFilters(object: ListObject, query: ListQuery, me: { id: string }): ExportFilters {
  const filters: Record<string, ExportFilterValue> = {};
  const unsupported: string[] = [];
  for (const [k, raw] of Object.entries(query)) {
    if (raw === undefined || raw === null || raw === '' || NOT_FILTERS.has(k)) continue;
    if (k === 'notUpdatedForDays') {
      // Exports filter on fixed fields only: a relative "not updated for" has no export filter yet.
      unsupported.push('“Not updated for” filter');
      continue;
    }
    if (k === 'tag' && Array.isArray(raw)) {
      // The lists' repeatable tag filter is the export's comma-separated `tags`.
      if (raw.length > 0) filters.tags = raw.join(',');
      continue;
    }
    if (Array.isArray(raw)) {
      filters[k] = raw.join(',');
      continue;
    }
    const v = typeof raw === 'string' ? raw.trim() : raw;
    if (v === '') continue;
    if (object === 'customers') {
      if (k === 'q') unsupported.push('search words');
      else if (k === 'vip' || k === 'draft') filters[k] = v === true || v === 'true';
      else filters[k] = v;
    } else if (k === 'status' && (v === 'open' || v === 'closed')) {
      filters.isOpen = v === 'open';
    } else if (k === 'ownerId' && v === 'me') {
      filters.ownerId = me.id;
    } else if (k === 'ownerId' && v === 'none') {
      filters.unassigned = true;
    } else if (k === 'caseNumber' && typeof v === 'string' && /^\d+$/.test(v)) {
      filters.caseNumber = Number(v);
    } else {
      filters[k] = v;
    }
  }
  return { filters, unsupported };
}

/** The streamed export's address, for a plain link: the browser downloads it with the session cookie. */
export function exportUrl(
  object: ListObject,
  opts: { format: 'csv' | 'jsonl'; bom: boolean; columns: string[]; filters: Record<string, ExportFilterValue> },
): string {
  const params = new URLSearchParams();
  params.set('format', opts.format);
  if (opts.format === 'csv' && opts.bom) params.set('bom', 'true');
  if (opts.columns.length) params.set('columns', opts.columns.join(','));
  for (const [k, v] of Object.entries(opts.filters)) params.set(k, String(v));
  return `/api/v1/exports/${object}?${params.toString()}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GB`;
}
