import type { ReactNode } from 'react';
import { cleanColumnKeys, withCustomFields, type Column } from '../columns.js';
import type { FieldDef } from '../customFields.js';
import { formatDateTime } from '../format.js';
import { labelOf, userName, type useCaseRefs } from '../lookups.js';
import { Link } from '../router.js';
import type { Case, CaseListColumn } from '../apiTypes.js';
import { TagChips } from './Tags.js';

type Refs = ReturnType<typeof useCaseRefs>;

/** The Cases list's built-in columns: every one the server's `cases.columns` preference knows, in this order. */
const BUILT_IN: Record<CaseListColumn, { label: string; render: (c: Case, refs: Refs) => ReactNode }> = {
  caseNumber: { label: 'Case', render: (c) => <Link to={`/cases/${c.id}`}>{c.caseNumber}</Link> },
  subject: {
    label: 'Subject',
    render: (c) => (
      <>
        <bdi>{c.subject}</bdi>
        {c.visibility === 'private' && <span className="badge">private</span>}
      </>
    ),
  },
  status: { label: 'Status', render: (c, r) => labelOf(r.settings?.statuses, c.status) },
  priority: { label: 'Priority', render: (c, r) => labelOf(r.settings?.priorities, c.priority) },
  severity: { label: 'Severity', render: (c, r) => labelOf(r.settings?.severities, c.severity) },
  owner: { label: 'Owner', render: (c, r) => userName(r.users, c.ownerId) },
  tags: { label: 'Tags', render: (c) => <TagChips tags={c.tags} /> },
  openedAt: { label: 'Opened', render: (c) => formatDateTime(c.openedAt) },
  updatedAt: { label: 'Updated', render: (c) => formatDateTime(c.updatedAt) },
  closedAt: { label: 'Closed', render: (c) => (c.closedAt ? formatDateTime(c.closedAt) : '') },
  channel: { label: 'Channel', render: (c) => c.channel },
  visibility: { label: 'Visibility', render: (c) => (c.visibility === 'private' ? 'Private' : 'Public') },
};

/** What the list shows until the user chooses (and what the customer record's cases table shows). */
export const DEFAULT_CASE_COLUMNS: string[] = [
  'caseNumber',
  'subject',
  'status',
  'priority',
  'severity',
  'owner',
  'tags',
  'openedAt',
];

const KEYS = Object.keys(BUILT_IN) as CaseListColumn[];

/** Every column one may choose: the built-in ones, then the active case custom fields. */
export function caseColumns(refs: Refs, defs: readonly FieldDef[] = []): Column<Case>[] {
  const builtIn = KEYS.map((key) => ({
    key,
    label: BUILT_IN[key].label,
    render: (c: Case) => BUILT_IN[key].render(c, refs),
  }));
  return withCustomFields(builtIn, defs);
}

/** The saved `cases.columns` cleaned: known keys, no repeats, the case number always shown. */
export function cleanCaseColumns(keys: unknown): string[] {
  return cleanColumnKeys(
    keys,
    KEYS.map((key) => ({ key })),
    DEFAULT_CASE_COLUMNS,
    'caseNumber',
  );
}
