/**
 * Validation failures in plain words. The validator (Ajv) says
 * `must NOT have fewer than 1 characters` or prints a regular expression; a
 * person filling in a form needs "Last name is required." This module is the
 * one place that turns a validator error into a sentence; the problem+json
 * error handler (errors.ts) uses it for every request, keeping the field's
 * dotted path in `field`.
 */

/** What the validator reports for one failure (the parts of Ajv's ErrorObject used here). */
export interface ValidatorError {
  keyword: string;
  instancePath?: string;
  params?: Record<string, unknown>;
  message?: string;
}

/** Field names whose words are not just their camelCase split. */
const LABELS: Record<string, string> = {
  e164: 'Phone number',
  id: 'Id',
  customerId: 'Customer',
  ownerId: 'Owner',
  assigneeId: 'Assignee',
  caseId: 'Case',
  taskId: 'Task',
  userId: 'User',
  dueAt: 'Due time',
  remindAt: 'Reminder time',
  openedAt: 'Opened time',
  closedAt: 'Closed time',
  customFields: 'Custom fields',
  accountNumber: 'Account number',
  caseNumber: 'Case number',
  url: 'URL',
  q: 'Search',
  body: 'Body',
  input: 'Input',
  querystring: 'Query string',
  params: 'Address',
  headers: 'Header',
};

/** "lastName" → "Last name"; "postal_code" → "Postal code". */
export function humanize(key: string): string {
  if (LABELS[key]) return LABELS[key];
  const words = key
    .replace(/[_-]+/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .trim()
    .toLowerCase();
  return words ? words[0].toUpperCase() + words.slice(1) : 'This value';
}

/**
 * The words for a field's dotted path: its last named part, with the list
 * items on the way as "item n" (counted from 1):
 * `phones.0.number` → "Number (phones, item 1)", `customFields.contract_tier` → "Contract tier".
 */
export function fieldLabel(field: string): string {
  const parts = field.split('.').filter((p) => p !== '');
  if (parts.length === 0) return 'This value';
  let last = parts.length - 1;
  while (last > 0 && /^\d+$/.test(parts[last])) last--;
  const name = humanize(parts[last]);
  const where: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    if (!/^\d+$/.test(parts[i])) continue;
    const owner = i > 0 ? humanize(parts[i - 1]).toLowerCase() : 'list';
    where.push(`${owner}, item ${Number(parts[i]) + 1}`);
  }
  return where.length > 0 ? `${name} (${where.join('; ')})` : name;
}

/** Known patterns, described. A pattern not listed here is never printed: the sentence says the form is wrong. */
const PATTERNS: Record<string, string> = {
  '^[a-z][a-z0-9_]{0,39}$':
    'must start with a lowercase letter and hold only lowercase letters, digits and "_" (at most 40 characters)',
  '^[a-z][a-zA-Z0-9_]{0,39}$':
    'must start with a lowercase letter and hold only letters, digits and "_" (at most 40 characters)',
  '^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$':
    'may hold only letters, digits, ".", "_" and "-", starting with a letter or digit (at most 40 characters)',
  '^[a-z][a-z0-9_.-]{0,63}$':
    'must start with a lowercase letter and hold only lowercase letters, digits, ".", "_" and "-" (at most 64 characters)',
  '^[a-z][a-z0-9_.]*(\\.\\*)?$': 'must be an event name such as case.updated, or a prefix ending in ".*"',
  '^[a-z][A-Za-z0-9]*(\\.[A-Za-z0-9]+){0,3}$':
    'must start with a lowercase letter and hold only letters and digits, in up to four parts joined by "."',
  '^\\d{1,18}$': 'must be a whole number',
};

const FORMATS: Record<string, string> = {
  email: 'must be an email address like name@example.com',
  'date-time': 'must be a date and time like 2026-12-05T08:00:00Z',
  date: 'must be a date like 2026-12-05',
  time: 'must be a time like 08:00:00',
  uri: 'must be a web address like https://example.com',
  url: 'must be a web address like https://example.com',
  uuid: 'must be an id (a UUID like 123e4567-e89b-12d3-a456-426614174000)',
  ipv4: 'must be an IPv4 address',
  ipv6: 'must be an IPv6 address',
};

const TYPES: Record<string, string> = {
  string: 'text',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  null: 'empty (null)',
};

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function typeWords(type: unknown): string {
  const list = Array.isArray(type) ? type : String(type ?? '').split(',');
  const words = list.map((t) => TYPES[String(t)] ?? String(t)).filter(Boolean);
  return words.length > 1 ? `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}` : (words[0] ?? 'valid');
}

/** One validator error → the sentence a person reads (the label is the field's, see fieldLabel). */
export function plainMessage(e: ValidatorError, field: string): string {
  const p = e.params ?? {};
  const label = fieldLabel(field);
  const n = Number(p.limit);
  switch (e.keyword) {
    case 'required':
      return `${label} is required.`;
    case 'additionalProperties':
      return `${label} is not a field this accepts; remove it.`;
    case 'type':
      return `${label} must be ${typeWords(p.type)}.`;
    case 'minLength':
      return n <= 1 ? `${label} is required.` : `${label} must be at least ${plural(n, 'character')} long.`;
    case 'maxLength':
      return `${label} can be at most ${plural(n, 'character')}.`;
    case 'minimum':
      return `${label} must be ${n} or more.`;
    case 'maximum':
      return `${label} must be ${n} or less.`;
    case 'exclusiveMinimum':
      return `${label} must be more than ${n}.`;
    case 'exclusiveMaximum':
      return `${label} must be less than ${n}.`;
    case 'multipleOf':
      return `${label} must be a multiple of ${String(p.multipleOf)}.`;
    case 'minItems':
      return n <= 1
        ? `${label} needs at least one entry.`
        : `${label} needs at least ${plural(n, 'entry', 'entries')}.`;
    case 'maxItems':
      return `${label} can have at most ${plural(n, 'entry', 'entries')}.`;
    case 'uniqueItems':
      return `${label} lists the same entry twice.`;
    case 'minProperties':
      return `${label} needs at least ${plural(n, 'entry', 'entries')}.`;
    case 'maxProperties':
      return `${label} can have at most ${plural(n, 'entry', 'entries')}.`;
    case 'format': {
      const f = String(p.format ?? '');
      return `${label} ${FORMATS[f] ?? 'is not in the expected form'}.`;
    }
    case 'pattern': {
      const words = PATTERNS[String(p.pattern ?? '')];
      return words ? `${label} ${words}.` : `${label} is not in the expected form.`;
    }
    case 'enum': {
      const allowed = Array.isArray(p.allowedValues) ? p.allowedValues.map(String) : [];
      return allowed.length > 0 && allowed.length <= 12
        ? `${label} must be one of: ${allowed.join(', ')}.`
        : `${label} is not one of the allowed values.`;
    }
    case 'const':
      return `${label} must be ${JSON.stringify(p.allowedValue)}.`;
    case 'anyOf':
    case 'oneOf':
      return `${label} is not valid here.`;
    case 'propertyNames':
      return `${label} has a key that is not allowed.`;
    case 'x-maxDepth': {
      const depth = /\d+/.exec(e.message ?? '')?.[0];
      return depth ? `${label} must not nest more than ${depth} levels deep.` : `${label} nests too deep.`;
    }
    default:
      return `${label} is not valid.`;
  }
}

const VERB =
  /^(is|are|has|have|must|may|can|cannot|was|were|should|needs?|does|do|did|names?|holds?|lists?|exceeds?|already|not)\b/;

/**
 * A service's own field message (`has no digits`, `required`, `no such
 * record`) as a sentence naming the field: "Phone number has no digits.",
 * "Last name: required." A message that already is a sentence (it starts with
 * a capital letter) is kept as written.
 */
export function asSentence(field: string, message: string): string {
  const m = message.trim();
  if (m === '' || /^[A-Z0-9"“]/.test(m)) return m;
  const label = fieldLabel(field);
  if (m === 'required') return `${label} is required.`;
  const end = /[.!?]$/.test(m) ? '' : '.';
  return VERB.test(m) ? `${label} ${m}${end}` : `${label}: ${m}${end}`;
}

/** Raw validator wording that must never reach a person (test/architecture/plain-messages.test.ts). */
export const RAW_VALIDATOR_TEXT =
  /must NOT|must match pattern|must have required|must be equal to|must be (string|integer|number|boolean|object|array|null)\b|must match format|must be (>=|<=|>|<)|must pass|\^\[|\$"|\{0,\d+\}/;
