import type { Row } from '../../db/adapter.js';
import type { Privilege } from '../../http/privileges.js';
import type { CustomFieldObjectType } from '../custom-fields/tables.js';
import { tagText } from '../../formats/tags.js';

/**
 * What can be exported: one entry per object type, with its SQL, its columns,
 * its list filters and its keyset order.
 *
 * These statements read the customers, cases, tasks, interactions and history
 * tables directly: an export must read every row of one consistent snapshot in
 * pages of keyset order, which no module's paged list offers (they sort for
 * people, not for completeness). Like the screen-pop lookup, this is a
 * deliberate exception to "a module reads another module's data through its
 * service" (docs/ARCHITECTURE.md); a change to those tables' columns must update
 * this file, and src/modules/exports/exports.test.ts covers every object.
 */

export const EXPORT_OBJECTS = ['customers', 'cases', 'followUps', 'tasks', 'interactions', 'history'] as const;
export type ExportObject = (typeof EXPORT_OBJECTS)[number];

/** One column of an export: its key (JSON Lines path, `columns=` name), CSV header and value. */
export interface Column {
  key: string;
  header: string;
  value(row: Row): unknown;
  /** Only in CSV files (the phone-type columns) or only in JSON Lines (the phones array). */
  only?: 'csv' | 'jsonl';
}

/** A list filter: its query parameter, and the SQL condition for a value (`add` numbers the parameter). */
interface FilterDef {
  name: string;
  type: 'uuid' | 'boolean' | 'text' | 'integer';
  description: string;
  condition(add: (v: unknown) => string, value: string | boolean | number): string;
}

export interface ObjectDef {
  object: ExportObject;
  /** What a caller needs besides data.export. */
  privileges: Privilege[];
  /** The FROM clause; the main table's alias is `t`. */
  from: string;
  select: string;
  /** The keyset column (unique, indexed) and its SQL type. */
  key: { column: string; type: 'uuid' | 'bigint'; field: string };
  /** The column `updatedSince` compares with. */
  changedAt: string;
  /** The history record type whose `delete` lines are this object's tombstones; null: never deleted on its own. */
  tombstoneType: string | null;
  customFields: CustomFieldObjectType | null;
  /** Private cases (and what hangs off them) are left out for callers without cases.viewPrivate. */
  privateCaseCondition: string | null;
  filters: FilterDef[];
  columns: Column[];
}

/** `tags=a,b`: records carrying every one of these tags (compared as stored: trimmed, lower-cased). */
const tagsFilter: FilterDef = {
  name: 'tags',
  type: 'text',
  description: "comma-separated tags: only records carrying every one (as the lists' repeatable tag filter)",
  condition: (add, v) => {
    const tags = String(v).split(',').map(tagText).filter(Boolean);
    return `t.tags @> ${add(tags)}::text[]`;
  },
};

const s = (v: unknown): unknown => v;
const time = (v: unknown): unknown => (v instanceof Date ? v.toISOString() : v);
/**
 * A timestamptz as text in the API's form (ISO 8601, UTC, milliseconds cut as
 * Date cuts them), written by the database: for a million rows, parsing each
 * time into a Date and formatting it back cost more than the rest of the row.
 */
const isoTime = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const col = (key: string, header: string, field: string, conv: (v: unknown) => unknown = s): Column => ({
  key,
  header,
  value: (r) => conv(r[field]),
});

const eq =
  (column: string, cast = ''): FilterDef['condition'] =>
  (add, v) =>
    `${column} = ${add(v)}${cast}`;

const ADDRESS: [string, string][] = [
  ['street', 'Street'],
  ['city', 'City'],
  ['region', 'Region'],
  ['postalCode', 'Postal code'],
  ['country', 'Country'],
];

type PhoneJson = { type: string; number: string; e164: string | null };
const phonesOf = (r: Row): PhoneJson[] => (r.phones as PhoneJson[] | null) ?? [];
const PHONE_COLUMNS: [string, string][] = [
  ['voice', 'Phone'],
  ['work', 'Work phone'],
  ['home', 'Home phone'],
  ['mobile', 'Mobile'],
  ['fax', 'Fax'],
];

function address(prefix: 'primaryAddress' | 'secondaryAddress', field: string, label: string): Column[] {
  return ADDRESS.map(([part, name]) => ({
    key: `${prefix}.${part}`,
    header: `${label}${label ? ' ' + name.toLowerCase() : name}`,
    value: (r: Row) => ((r[field] as Record<string, unknown> | null) ?? {})[part] ?? null,
  }));
}

const CUSTOMERS: ObjectDef = {
  object: 'customers',
  privileges: ['customers.view'],
  from: 'customers t',
  // Only what the columns read (not the search keys a customer row also carries), times as text.
  select: `t.id, t.account_number, t.first_name, t.last_name, t.company, t.email, t.notes, t.vip, t.draft,
           t.tags, t.version, t.primary_address, t.secondary_address, t.custom_fields,
           ${isoTime('t.created_at')} AS created_at, ${isoTime('t.updated_at')} AS updated_at,
           (SELECT coalesce(json_agg(json_build_object('type', p.type, 'number', p.raw, 'e164', p.e164)
                  ORDER BY p.position), '[]'::json) FROM customer_phones p WHERE p.customer_id = t.id) AS phones`,
  key: { column: 't.id', type: 'uuid', field: 'id' },
  changedAt: 't.updated_at',
  tombstoneType: 'customer',
  customFields: 'customer',
  privateCaseCondition: null,
  filters: [
    { name: 'vip', type: 'boolean', description: 'VIP customers (true) or the others', condition: eq('t.vip') },
    { name: 'draft', type: 'boolean', description: 'drafts (true) or complete records', condition: eq('t.draft') },
    tagsFilter,
    {
      name: 'accountNumber',
      type: 'text',
      description: 'one account number',
      condition: eq('t.account_number'),
    },
    {
      // As the list's filter: either address, spaces, punctuation and case ignored.
      name: 'postalCode',
      type: 'text',
      description: 'a postal code of the primary or secondary address (spaces and case ignored)',
      condition: (add, v) => {
        const k = add(
          String(v)
            .replace(/[^A-Za-z0-9]/g, '')
            .toUpperCase(),
        );
        return `t.postal_key1 = ${k} OR t.postal_key2 = ${k}`;
      },
    },
  ],
  columns: [
    col('id', 'Id', 'id'),
    col('accountNumber', 'Account number', 'account_number'),
    col('firstName', 'First name', 'first_name'),
    col('lastName', 'Last name', 'last_name'),
    col('company', 'Company', 'company'),
    col('email', 'Email', 'email'),
    // CSV: the first number of each type in its own column (the importer maps them back by
    // name); any further numbers as "type: number" in one more column.
    ...PHONE_COLUMNS.map(([type, header]): Column => ({
      key: `phones.${type}`,
      header,
      only: 'csv',
      value: (r) => phonesOf(r).find((p) => p.type === type)?.number ?? null,
    })),
    {
      key: 'phones.other',
      header: 'Other phones',
      only: 'csv',
      value: (r) => {
        const seen = new Set<string>();
        const rest = phonesOf(r).filter((p) => (seen.has(p.type) ? true : (seen.add(p.type), false)));
        return rest.length ? rest.map((p) => `${p.type}: ${p.number}`).join('; ') : null;
      },
    },
    { key: 'phones', header: 'Phones', only: 'jsonl', value: (r) => phonesOf(r) },
    ...address('primaryAddress', 'primary_address', ''),
    ...address('secondaryAddress', 'secondary_address', 'Second address'),
    col('notes', 'Notes', 'notes'),
    col('vip', 'VIP', 'vip'),
    col('tags', 'Tags', 'tags'),
    col('draft', 'Draft', 'draft'),
    col('version', 'Version', 'version'),
    col('createdAt', 'Created at', 'created_at', time),
    col('updatedAt', 'Updated at', 'updated_at', time),
  ],
};

const CASES: ObjectDef = {
  object: 'cases',
  privileges: ['cases.view'],
  from: 'cases t JOIN customers c ON c.id = t.customer_id LEFT JOIN users u ON u.id = t.owner_id',
  select: 't.*, c.account_number AS customer_account_number, c.email AS customer_email, u.email AS owner_email',
  key: { column: 't.id', type: 'uuid', field: 'id' },
  changedAt: 't.updated_at',
  tombstoneType: 'case',
  customFields: 'case',
  privateCaseCondition: "t.visibility = 'public'",
  filters: [
    { name: 'status', type: 'text', description: 'a status key', condition: eq('t.status') },
    { name: 'isOpen', type: 'boolean', description: 'open (true) or closed cases', condition: eq('t.is_open') },
    { name: 'priority', type: 'text', description: 'a priority key', condition: eq('t.priority') },
    { name: 'severity', type: 'text', description: 'a severity key', condition: eq('t.severity') },
    { name: 'ownerId', type: 'uuid', description: "the owner's user id", condition: eq('t.owner_id', '::uuid') },
    {
      name: 'unassigned',
      type: 'boolean',
      description: 'cases without an owner (true) or with one',
      condition: (_add, v) => `t.owner_id IS ${v ? '' : 'NOT '}NULL`,
    },
    { name: 'customerId', type: 'uuid', description: "the customer's id", condition: eq('t.customer_id', '::uuid') },
    { name: 'visibility', type: 'text', description: 'public or private', condition: eq('t.visibility') },
    tagsFilter,
    { name: 'caseNumber', type: 'integer', description: 'one case number', condition: eq('t.case_number', '::bigint') },
    {
      // The list's full-text search over subject and description (not its searchable custom fields).
      name: 'q',
      type: 'text',
      description: 'words in the subject or description (full-text, as the cases list searches)',
      condition: (add, v) => `t.search @@ websearch_to_tsquery('english', ${add(v)})`,
    },
  ],
  columns: [
    col('id', 'Id', 'id'),
    col('caseNumber', 'Case number', 'case_number'),
    col('customerId', 'Customer id', 'customer_id'),
    col('customerAccountNumber', 'Customer account number', 'customer_account_number'),
    col('customerEmail', 'Customer email', 'customer_email'),
    col('subject', 'Subject', 'subject'),
    col('description', 'Description', 'description'),
    col('status', 'Status', 'status'),
    col('isOpen', 'Open', 'is_open'),
    col('priority', 'Priority', 'priority'),
    col('severity', 'Severity', 'severity'),
    col('visibility', 'Visibility', 'visibility'),
    col('tags', 'Tags', 'tags'),
    col('channel', 'Channel', 'channel'),
    col('ownerId', 'Owner id', 'owner_id'),
    col('ownerEmail', 'Owner email', 'owner_email'),
    col('openedAt', 'Opened at', 'opened_at', time),
    col('closedAt', 'Closed at', 'closed_at', time),
    col('version', 'Version', 'version'),
    col('createdAt', 'Created at', 'created_at', time),
    col('updatedAt', 'Updated at', 'updated_at', time),
  ],
};

const FOLLOW_UPS: ObjectDef = {
  object: 'followUps',
  privileges: ['cases.view'],
  from: 'case_follow_ups t JOIN cases k ON k.id = t.case_id',
  select: 't.*, k.case_number, k.customer_id',
  key: { column: 't.seq', type: 'bigint', field: 'seq' },
  // Append-only: a follow-up never changes after it is written.
  changedAt: 't.created_at',
  tombstoneType: null,
  customFields: 'followUp',
  privateCaseCondition: "k.visibility = 'public'",
  filters: [
    { name: 'caseId', type: 'uuid', description: "the case's id", condition: eq('t.case_id', '::uuid') },
    { name: 'customerId', type: 'uuid', description: "the customer's id", condition: eq('k.customer_id', '::uuid') },
    { name: 'kind', type: 'text', description: 'note, call, chat or email', condition: eq('t.kind') },
  ],
  columns: [
    col('id', 'Id', 'id'),
    col('caseId', 'Case id', 'case_id'),
    col('caseNumber', 'Case number', 'case_number'),
    col('customerId', 'Customer id', 'customer_id'),
    col('kind', 'Kind', 'kind'),
    col('direction', 'Direction', 'direction'),
    col('visibility', 'Visibility', 'visibility'),
    col('body', 'Body', 'body'),
    col('authorType', 'Author type', 'author_type'),
    col('authorId', 'Author id', 'author_id'),
    col('authorName', 'Author', 'author_name'),
    col('channel', 'Channel', 'channel'),
    col('email', 'Email', 'email'),
    col('createdAt', 'Created at', 'created_at', time),
  ],
};

const TASKS: ObjectDef = {
  object: 'tasks',
  privileges: ['tasks.view'],
  from: 'tasks t LEFT JOIN cases k ON k.id = t.case_id',
  select: 't.*, k.case_number',
  key: { column: 't.id', type: 'uuid', field: 'id' },
  changedAt: 't.updated_at',
  tombstoneType: 'task',
  customFields: 'task',
  privateCaseCondition: "(k.id IS NULL OR k.visibility = 'public')",
  filters: [
    { name: 'status', type: 'text', description: 'open, done or cancelled', condition: eq('t.status') },
    {
      name: 'assigneeId',
      type: 'uuid',
      description: "the assignee's user id",
      condition: eq('t.assignee_id', '::uuid'),
    },
    { name: 'customerId', type: 'uuid', description: "the customer's id", condition: eq('t.customer_id', '::uuid') },
    { name: 'caseId', type: 'uuid', description: "the case's id", condition: eq('t.case_id', '::uuid') },
  ],
  columns: [
    col('id', 'Id', 'id'),
    col('type', 'Type', 'type'),
    col('subject', 'Subject', 'subject'),
    col('notes', 'Notes', 'notes'),
    col('customerId', 'Customer id', 'customer_id'),
    col('caseId', 'Case id', 'case_id'),
    col('caseNumber', 'Case number', 'case_number'),
    col('assigneeId', 'Assignee id', 'assignee_id'),
    col('dueAt', 'Due at', 'due_at', time),
    col('status', 'Status', 'status'),
    col('outcome', 'Outcome', 'outcome'),
    col('completedAt', 'Completed at', 'completed_at', time),
    col('version', 'Version', 'version'),
    col('createdAt', 'Created at', 'created_at', time),
    col('updatedAt', 'Updated at', 'updated_at', time),
  ],
};

const INTERACTIONS: ObjectDef = {
  object: 'interactions',
  privileges: ['customers.view'],
  from: 'interactions t LEFT JOIN cases k ON k.id = t.case_id',
  select: 't.*',
  key: { column: 't.id', type: 'uuid', field: 'id' },
  changedAt: 't.updated_at',
  tombstoneType: null,
  customFields: null,
  privateCaseCondition: "(k.id IS NULL OR k.visibility = 'public')",
  filters: [
    { name: 'customerId', type: 'uuid', description: "the customer's id", condition: eq('t.customer_id', '::uuid') },
    { name: 'agentId', type: 'uuid', description: "the agent's user id", condition: eq('t.agent_id', '::uuid') },
    { name: 'channel', type: 'text', description: 'phone, chat or email', condition: eq('t.channel') },
  ],
  columns: [
    col('id', 'Id', 'id'),
    col('reference', 'Reference', 'reference'),
    col('channel', 'Channel', 'channel'),
    col('direction', 'Direction', 'direction'),
    col('fromAddress', 'From', 'from_address'),
    col('toAddress', 'To', 'to_address'),
    col('customerId', 'Customer id', 'customer_id'),
    col('caseId', 'Case id', 'case_id'),
    col('agentId', 'Agent id', 'agent_id'),
    col('state', 'State', 'state'),
    col('startedAt', 'Started at', 'started_at', time),
    col('endedAt', 'Ended at', 'ended_at', time),
    col('closedAt', 'Closed at', 'closed_at', time),
    col('notes', 'Notes', 'notes'),
    col('disposition', 'Disposition', 'disposition'),
    col('updatedAt', 'Updated at', 'updated_at', time),
  ],
};

const HISTORY: ObjectDef = {
  object: 'history',
  privileges: ['customers.view', 'cases.view', 'tasks.view'],
  from: 'history t',
  select: 't.*',
  key: { column: 't.id', type: 'bigint', field: 'id' },
  changedAt: 't.at',
  tombstoneType: null,
  customFields: null,
  // The history of a private case (while the case exists) is as private as the case.
  privateCaseCondition:
    "NOT (t.record_type = 'case' AND EXISTS (SELECT 1 FROM cases k WHERE k.id = t.record_id AND k.visibility = 'private'))",
  filters: [
    { name: 'recordType', type: 'text', description: 'customer, case, task …', condition: eq('t.record_type') },
    { name: 'recordId', type: 'uuid', description: "the record's id", condition: eq('t.record_id', '::uuid') },
  ],
  columns: [
    col('id', 'Id', 'id'),
    col('recordType', 'Record type', 'record_type'),
    col('recordId', 'Record id', 'record_id'),
    col('at', 'At', 'at', time),
    col('actorId', 'Actor id', 'actor_id'),
    col('actorName', 'Actor', 'actor_name'),
    col('channel', 'Channel', 'channel'),
    col('action', 'Action', 'action'),
    col('changes', 'Changes', 'changes'),
  ],
};

export const OBJECTS: Readonly<Record<ExportObject, ObjectDef>> = {
  customers: CUSTOMERS,
  cases: CASES,
  followUps: FOLLOW_UPS,
  tasks: TASKS,
  interactions: INTERACTIONS,
  history: HISTORY,
};
