import type { ReactNode } from 'react';
import { Link } from '../router.js';
import { customerName, formatDateTime } from '../format.js';
import type { Customer } from '../apiTypes.js';
import { showCf, type FieldDef } from '../customFields.js';
import { TagChips } from '../components/Tags.js';

export interface Column {
  key: string;
  label: string;
  render: (c: Customer) => ReactNode;
  /** The server's sort key, when the list can be sorted by this column. */
  sort?: string;
}

const phone = (c: Customer) => c.phones?.[0]?.number ?? '';

export const COLUMNS: Column[] = [
  { key: 'accountNumber', label: 'Account', render: (c) => c.accountNumber },
  {
    key: 'name',
    label: 'Name',
    sort: 'name',
    render: (c) => (
      <>
        <Link to={`/customers/${c.id}`}>
          <bdi>{customerName(c)}</bdi>
        </Link>
        {c.draft && <span className="badge draft">Draft</span>}
        {c.vip && <span className="badge vip">VIP</span>}
      </>
    ),
  },
  { key: 'firstName', label: 'First name', render: (c) => c.firstName ?? '' },
  { key: 'lastName', label: 'Last name', render: (c) => c.lastName ?? '' },
  { key: 'company', label: 'Company', render: (c) => c.company ?? '' },
  { key: 'email', label: 'Email', render: (c) => c.email ?? '' },
  { key: 'phone', label: 'Phone', render: phone },
  { key: 'city', label: 'City', render: (c) => c.primaryAddress?.city ?? '' },
  { key: 'postalCode', label: 'Postal code', render: (c) => c.primaryAddress?.postalCode ?? '' },
  { key: 'region', label: 'Region', render: (c) => c.primaryAddress?.region ?? '' },
  { key: 'country', label: 'Country', render: (c) => c.primaryAddress?.country ?? '' },
  { key: 'vip', label: 'VIP', render: (c) => (c.vip ? 'VIP' : '') },
  { key: 'tags', label: 'Tags', render: (c) => <TagChips tags={c.tags} /> },
  { key: 'draft', label: 'Draft', render: (c) => (c.draft ? 'Draft' : '') },
  { key: 'createdAt', label: 'Created', sort: 'created', render: (c) => formatDateTime(c.createdAt) },
  { key: 'updatedAt', label: 'Updated', sort: 'updated', render: (c) => formatDateTime(c.updatedAt) },
];

export const DEFAULT_COLUMNS = ['accountNumber', 'name', 'company', 'email', 'phone', 'city'];

/** A custom field as a column: key `cf.<field key>`, labelled and shown as the field is. */
export function customFieldColumn(d: FieldDef): Column {
  return { key: `cf.${d.key}`, label: d.label, render: (c) => showCf(d, c.customFields?.[d.key]) };
}

/** The columns one may choose: the built-in ones, then the active custom fields. */
export function availableColumns(defs: readonly FieldDef[] = []): Column[] {
  return [...COLUMNS, ...defs.filter((d) => !d.retired).map(customFieldColumn)];
}

export function columnByKey(key: string, defs: readonly FieldDef[] = []): Column | undefined {
  return availableColumns(defs).find((c) => c.key === key);
}

/** Keeps known keys only, without repeats; falls back to the default set. */
export function cleanColumns(keys: unknown): string[] {
  if (!Array.isArray(keys)) return DEFAULT_COLUMNS;
  const out: string[] = [];
  // Custom field columns are kept (their definitions load later; a retired one is simply not shown).
  for (const k of keys)
    if (typeof k === 'string' && (columnByKey(k) || /^cf\./.test(k)) && !out.includes(k)) out.push(k);
  if (!out.includes('name')) out.splice(Math.min(1, out.length), 0, 'name');
  return out;
}

export function moveColumn(cols: string[], key: string, delta: number): string[] {
  const i = cols.indexOf(key);
  const j = i + delta;
  if (i < 0 || j < 0 || j >= cols.length) return cols;
  const next = [...cols];
  [next[i], next[j]] = [next[j], next[i]];
  return next;
}

/** Moves `key` to where `target` is (drag and drop). */
export function dropColumn(cols: string[], key: string, target: string): string[] {
  if (key === target) return cols;
  const without = cols.filter((c) => c !== key);
  const at = without.indexOf(target);
  if (at < 0) return cols;
  const from = cols.indexOf(key);
  const to = cols.indexOf(target);
  without.splice(from < to ? at + 1 : at, 0, key);
  return without;
}
