import { Type, type Static } from '@sinclair/typebox';
import { Invalid, type FieldError } from '../../http/errors.js';
import type { FieldDef } from '../custom-fields/validate.js';
import { PHONE_TYPES, type PhoneType } from '../customers/schema.js';

/**
 * Column mappings: which column of the file goes to which field. A mapping is
 * a list of `{column, field}` (plus `phoneType` for phone columns and `blank:
 * "clear"` where an empty cell should clear the stored value); columns not
 * listed are ignored. Suggested from the header names (the names common
 * exports use), edited in the console, saved by name.
 */

export const OBJECT_TYPES = ['customers', 'cases', 'followUps'] as const;
export type ImportObjectType = (typeof OBJECT_TYPES)[number];

export const MappingColumn = Type.Object(
  {
    column: Type.String({ minLength: 1, maxLength: 300, description: 'the header (CSV) or key path (JSON Lines)' }),
    field: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'target field, e.g. `email`, `customFields.tier`',
    }),
    phoneType: Type.Optional(Type.Unsafe<PhoneType>({ type: 'string', enum: [...PHONE_TYPES] })),
    blank: Type.Optional(
      Type.Unsafe<'keep' | 'clear'>({
        type: 'string',
        enum: ['keep', 'clear'],
        description: 'an empty cell keeps the stored value (default) or clears it',
      }),
    ),
  },
  { additionalProperties: false },
);
export type MappingColumn = Static<typeof MappingColumn>;

export const Mapping = Type.Object(
  { columns: Type.Array(MappingColumn, { maxItems: 1000 }) },
  { additionalProperties: false },
);
export type Mapping = Static<typeof Mapping>;

/** A target field: what a column can be mapped to. */
export interface Target {
  field: string;
  label: string;
  /** How a cell is read: text as is, yes/no, a phone (any number of columns), a time, a name to split. */
  kind: 'text' | 'boolean' | 'phone' | 'time' | 'fullName' | 'integer';
  /** Column names (normalised: lower case, letters and digits only) this target is suggested for. */
  names: string[];
}

const ADDRESS_PARTS: [string, string, string[]][] = [
  ['street', 'street', ['street', 'address', 'address1', 'streetaddress', 'addressline1', 'mailingstreet']],
  ['city', 'city', ['city', 'town', 'mailingcity']],
  ['region', 'region / state', ['state', 'region', 'province', 'county', 'stateregion', 'mailingstateprovince']],
  ['postalCode', 'postal code', ['zip', 'zipcode', 'postcode', 'postalcode', 'mailingzippostalcode']],
  ['country', 'country', ['country', 'countryregion', 'mailingcountry']],
];

const CUSTOMER_TARGETS: Target[] = [
  {
    field: 'accountNumber',
    label: 'Account number',
    kind: 'text',
    names: ['accountnumber', 'accountno', 'account', 'customernumber', 'customerno', 'customerid', 'clientnumber'],
  },
  {
    field: 'firstName',
    label: 'First name',
    kind: 'text',
    names: ['firstname', 'first', 'givenname', 'forename', 'fname'],
  },
  {
    field: 'lastName',
    label: 'Last name',
    kind: 'text',
    names: ['lastname', 'last', 'surname', 'familyname', 'lname'],
  },
  { field: 'name', label: 'Full name (split into first and last)', kind: 'fullName', names: ['name', 'fullname'] },
  {
    field: 'company',
    label: 'Company',
    kind: 'text',
    names: ['company', 'companyname', 'organization', 'organisation', 'accountname', 'employer'],
  },
  {
    field: 'email',
    label: 'Email',
    kind: 'text',
    names: ['email', 'emailaddress', 'mail', 'primaryemail', 'email1'],
  },
  {
    field: 'phone',
    label: 'Phone (any number of columns)',
    kind: 'phone',
    names: [
      'phone',
      'phonenumber',
      'telephone',
      'tel',
      'mobile',
      'mobilephone',
      'mobilephonenumber',
      'cell',
      'cellphone',
      'homephone',
      'workphone',
      'businessphone',
      'otherphone',
      'fax',
      'phone1',
      'phone2',
      'phone3',
    ],
  },
  ...ADDRESS_PARTS.map(([part, label, names]) => ({
    field: `primaryAddress.${part}`,
    label: `Address: ${label}`,
    kind: 'text' as const,
    names,
  })),
  ...ADDRESS_PARTS.map(([part, label, names]) => ({
    field: `secondaryAddress.${part}`,
    label: `Second address: ${label}`,
    kind: 'text' as const,
    names: names.map((n) => (n.startsWith('mailing') ? n.replace('mailing', 'other') : `other${n}`)),
  })),
  { field: 'notes', label: 'Notes', kind: 'text', names: ['notes', 'note', 'description', 'details', 'comments'] },
  { field: 'vip', label: 'VIP (yes/no)', kind: 'boolean', names: ['vip'] },
  { field: 'draft', label: 'Draft (yes/no)', kind: 'boolean', names: ['draft'] },
];

const CASE_TARGETS: Target[] = [
  {
    field: 'customer.accountNumber',
    label: "Customer's account number",
    kind: 'text',
    names: ['accountnumber', 'customeraccountnumber', 'customernumber', 'account'],
  },
  {
    field: 'customer.email',
    label: "Customer's email",
    kind: 'text',
    names: ['email', 'customeremail', 'requesteremail', 'requester', 'contactemail'],
  },
  { field: 'caseNumber', label: 'Case number', kind: 'integer', names: ['casenumber', 'caseno', 'ticketid', 'ticket'] },
  { field: 'subject', label: 'Subject', kind: 'text', names: ['subject', 'title', 'summary'] },
  { field: 'description', label: 'Description', kind: 'text', names: ['description', 'body', 'details'] },
  { field: 'status', label: 'Status', kind: 'text', names: ['status', 'state'] },
  { field: 'priority', label: 'Priority', kind: 'text', names: ['priority'] },
  { field: 'severity', label: 'Severity', kind: 'text', names: ['severity'] },
  { field: 'visibility', label: 'Visibility (public/private)', kind: 'text', names: ['visibility'] },
  { field: 'channel', label: 'Channel', kind: 'text', names: ['channel', 'via', 'origin', 'caseorigin'] },
  {
    field: 'owner',
    label: "Owner (user's email)",
    kind: 'text',
    names: ['owner', 'owneremail', 'assignee', 'assigneeemail', 'agent'],
  },
  {
    field: 'openedAt',
    label: 'Opened at',
    kind: 'time',
    names: ['openedat', 'opened', 'createdat', 'created', 'dateopened'],
  },
  { field: 'closedAt', label: 'Closed at', kind: 'time', names: ['closedat', 'closed', 'solvedat', 'dateclosed'] },
];

const FOLLOW_UP_TARGETS: Target[] = [
  { field: 'caseNumber', label: 'Case number', kind: 'integer', names: ['casenumber', 'caseno', 'ticketid', 'ticket'] },
  { field: 'kind', label: 'Kind (note, call, chat, email)', kind: 'text', names: ['kind', 'type'] },
  { field: 'direction', label: 'Direction (inbound/outbound)', kind: 'text', names: ['direction'] },
  { field: 'visibility', label: 'Visibility (public/internal)', kind: 'text', names: ['visibility', 'public'] },
  { field: 'body', label: 'Text', kind: 'text', names: ['body', 'text', 'comment', 'note', 'message'] },
  { field: 'authorName', label: 'Author name', kind: 'text', names: ['author', 'authorname', 'by', 'from'] },
  { field: 'authorType', label: 'Author type (user, customer, system)', kind: 'text', names: ['authortype'] },
  { field: 'createdAt', label: 'Written at', kind: 'time', names: ['createdat', 'created', 'date', 'time', 'at'] },
];

const TARGETS: Record<ImportObjectType, Target[]> = {
  customers: CUSTOMER_TARGETS,
  cases: CASE_TARGETS,
  followUps: FOLLOW_UP_TARGETS,
};

/** Phone column names that say their type. */
const PHONE_TYPE_BY_NAME: [RegExp, PhoneType][] = [
  [/mobile|cell/, 'mobile'],
  [/fax/, 'fax'],
  [/home/, 'home'],
  [/work|business|office/, 'work'],
];

const normaliseName = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Every field a column may be mapped to, custom fields included. */
export function targetsFor(objectType: ImportObjectType, customFields: readonly FieldDef[]): Target[] {
  return [
    ...TARGETS[objectType],
    ...customFields
      .filter((d) => !d.retired)
      .map((d) => ({
        field: `customFields.${d.key}`,
        label: `${d.label} (custom field)`,
        kind: 'text' as const,
        names: [normaliseName(d.key), normaliseName(d.label)],
      })),
  ];
}

/**
 * The suggested mapping for a file's columns: a column whose name is a known
 * name of a field (or a custom field's key or label) maps to it, each field
 * once except phones (every phone column, with the type its name says).
 */
export function suggestMapping(columns: string[], targets: Target[]): Mapping {
  const used = new Set<string>();
  const out: MappingColumn[] = [];
  for (const column of columns) {
    const n = normaliseName(column);
    // JSON Lines keys are often the field names themselves ("primaryAddress.city").
    const exact = targets.find((t) => t.field === column && !used.has(t.field));
    const t = exact ?? targets.find((x) => x.names.includes(n) && (x.kind === 'phone' || !used.has(x.field)));
    if (!t) continue;
    used.add(t.field);
    const entry: MappingColumn = { column, field: t.field };
    if (t.kind === 'phone') entry.phoneType = PHONE_TYPE_BY_NAME.find(([re]) => re.test(n))?.[1] ?? 'voice';
    out.push(entry);
  }
  // A full name only when first and last names are not both there.
  const hasParts = used.has('firstName') && used.has('lastName');
  return { columns: hasParts ? out.filter((c) => c.field !== 'name') : out };
}

/** A mapping checked against the file's columns and the object's fields: a 400 naming each problem. */
export function checkMapping(mapping: Mapping, columns: string[], targets: Target[]): Map<string, Target> {
  const errors: FieldError[] = [];
  const known = new Set(columns);
  const byField = new Map(targets.map((t) => [t.field, t]));
  const seen = new Set<string>();
  const fields = new Set<string>();
  const out = new Map<string, Target>();
  mapping.columns.forEach((c, i) => {
    const at = `mapping.columns.${i}`;
    if (!known.has(c.column)) errors.push({ field: `${at}.column`, message: `the file has no column "${c.column}"` });
    if (seen.has(c.column)) errors.push({ field: `${at}.column`, message: `"${c.column}" is mapped twice` });
    seen.add(c.column);
    const t = byField.get(c.field);
    if (!t) {
      const hint = c.field === 'externalId' ? ' (external ids are not stored yet; see docs/importing.md)' : '';
      errors.push({ field: `${at}.field`, message: `unknown field "${c.field}"${hint}` });
      return;
    }
    if (t.kind !== 'phone' && fields.has(c.field)) {
      errors.push({ field: `${at}.field`, message: `"${c.field}" is mapped from two columns` });
    }
    if (c.phoneType && t.kind !== 'phone') {
      errors.push({ field: `${at}.phoneType`, message: 'only phone columns have a phone type' });
    }
    fields.add(c.field);
    out.set(c.column, t);
  });
  if (errors.length) throw new Invalid(errors);
  return out;
}

/** The columns no entry of the mapping names. */
export function unmappedColumns(columns: string[], mapping: Mapping): string[] {
  const mapped = new Set(mapping.columns.map((c) => c.column));
  return columns.filter((c) => !mapped.has(c));
}

const TRUE_WORDS = new Set(['true', 'yes', 'y', '1', 'x', 'vip', 'ja', 'oui', 'si', 'sí']);
const FALSE_WORDS = new Set(['false', 'no', 'n', '0', '', 'nein', 'non']);

/** A yes/no cell; undefined when it is neither. */
export function readBoolean(raw: string): boolean | undefined {
  const v = raw.trim().toLowerCase();
  if (TRUE_WORDS.has(v)) return true;
  if (FALSE_WORDS.has(v)) return false;
  return undefined;
}

/** "Ann Marie Lee" → first "Ann Marie", last "Lee"; "Lee, Ann" → first "Ann", last "Lee". */
export function splitName(raw: string): { firstName: string | null; lastName: string | null } {
  const s = raw.trim().replace(/\s+/g, ' ');
  if (!s) return { firstName: null, lastName: null };
  const comma = s.indexOf(',');
  if (comma > 0) return { lastName: s.slice(0, comma).trim() || null, firstName: s.slice(comma + 1).trim() || null };
  const words = s.split(' ');
  if (words.length === 1) return { firstName: null, lastName: words[0] };
  return { firstName: words.slice(0, -1).join(' '), lastName: words[words.length - 1] };
}

/**
 * A text cell converted for a custom field of this type: yes/no words for
 * booleans, labels for pick lists, ";" or "|" separated lists for multi-picks.
 * Everything else is passed on as text: the field's own rules judge it.
 */
export function customFieldCell(def: FieldDef, raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  const s = raw.trim();
  const option = (v: string) => {
    const t = v.trim();
    const byKey = def.options.find((o) => o.key === t);
    if (byKey) return byKey.key;
    const byLabel = def.options.find((o) => o.label.toLowerCase() === t.toLowerCase());
    return byLabel ? byLabel.key : t;
  };
  switch (def.type) {
    case 'boolean': {
      const b = readBoolean(s);
      return b === undefined ? s : b;
    }
    case 'singlePick':
      return option(s);
    case 'multiPick':
      return s
        .split(/[;|]/)
        .map((v) => v.trim())
        .filter(Boolean)
        .map(option);
    default:
      return s;
  }
}
