import { Link } from '../router.js';
import { customerName, formatDateTime } from '../format.js';
import type { Customer } from '../apiTypes.js';
import type { FieldDef } from '../customFields.js';
import { TagChips } from '../components/Tags.js';
import { cleanColumnKeys, withCustomFields, type Column as ColumnOf } from '../columns.js';

type Column = ColumnOf<Customer>;

const phone = (c: Customer) => c.phones?.[0]?.number ?? '';

const COLUMNS: Column[] = [
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

/** The columns one may choose: the built-in ones, then the active custom fields. */
export function availableColumns(defs: readonly FieldDef[] = []): Column[] {
  return withCustomFields(COLUMNS, defs);
}

export function columnByKey(key: string, defs: readonly FieldDef[] = []): Column | undefined {
  return availableColumns(defs).find((c) => c.key === key);
}

/** Keeps known keys only, without repeats, and the name; falls back to the default set. */
export function cleanColumns(keys: unknown): string[] {
  return cleanColumnKeys(keys, COLUMNS, DEFAULT_COLUMNS, 'name');
}
