import type { Queryable } from '../../db/adapter.js';
import { Invalid, type FieldError } from '../../http/errors.js';
import { searchExpression, valueExpression } from './indexes.js';
import { definitionsFrom, type DefinitionsSource, type FieldDef } from './store.js';
import type { CustomFieldObjectType } from './tables.js';
import { normaliseValue, RANGE_TYPES, type FieldType, type ValueResult } from './values.js';
import { getCustomFieldPhoneRegion } from './validate.js';

export { DefinitionReads } from './store.js';

/**
 * Custom field filters and search for the owning modules' list queries.
 *
 * Query parameters (document with CUSTOM_FIELD_FILTER_DOC, accept with
 * `customFieldFilterQuery` in the querystring schema):
 *   cf.<key>=v            equality (repeat the parameter: any of the values);
 *                         multiPick: the record holds option v
 *   cf.<key>.gte=v, .gt=, .lte=, .lt=   ranges: number, decimal, date, dateTime
 * Values are read like field values (a phone in any format, an email in any case,
 * a date-time in any zone); a dateTime bound may be a date (its midnight UTC).
 * Only active, filterable fields; anything else is a 400 naming the parameter.
 * The conditions compare exactly the expression the field's index was built on
 * (indexes.ts), so each filter is an index scan.
 */
interface SqlConditions {
  /** The conditions joined with AND; '' when there are none. */
  sql: string;
  /** The same conditions one by one (to push into a WHERE list). */
  conditions: string[];
  /** Values for $firstParam, $firstParam+1, … in order. */
  params: unknown[];
}

interface ConditionOptions {
  /** The number of the first placeholder the conditions use (the caller's params count + 1). Default 1. */
  firstParam?: number;
  /** The owning table's alias in the caller's query ('c'); none: the bare column. */
  alias?: string;
  /** Region for phone values; default: the configured DEFAULT_PHONE_REGION. */
  phoneRegion?: string;
}

const PARAM = /^cf\.([a-z][a-zA-Z0-9_]{0,39})(?:\.(gte|gt|lte|lt))?$/;
const OPERATORS = { gte: '>=', gt: '>', lte: '<=', lt: '<' } as const;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
/** The SQL type a filter value is cast to (the type of the field's index expression); text otherwise. */
const SQL_TYPES: Partial<Record<FieldType, string>> = {
  number: 'numeric',
  decimal: 'numeric',
  date: 'date',
  dateTime: 'timestamp',
};

/** Whether a querystring carries any `cf.` parameter (no definitions are read otherwise). */
export function hasCustomFieldFilters(query: Record<string, unknown>): boolean {
  return Object.keys(query).some((k) => k.startsWith('cf.'));
}

function filterValue(def: FieldDef, raw: string, region: string, range: boolean): ValueResult {
  if (def.type === 'dateTime' && range && DATE_ONLY.test(raw.trim())) raw = `${raw.trim()}T00:00:00Z`;
  if (def.type === 'multiPick')
    return normaliseValue({ ...def, type: 'singlePick' }, raw, { phoneRegion: region, previous: raw });
  // previous = raw: a retired option still finds the records that hold it.
  const r = normaliseValue(def, raw, { phoneRegion: region, previous: raw });
  if (r.ok && r.value === null) return { ok: false, message: 'needs a value' };
  return r;
}

/**
 * Conditions not yet numbered: `render(add)` writes the SQL, calling `add(value)`
 * for each parameter (the caller's own placeholder counter, e.g. `p.add`), so the
 * owning store can embed it in a query built with its own numbering.
 */
export interface PreparedCondition {
  render(add: (value: unknown) => string): string;
}

type Part = (add: (value: unknown) => string) => string;

interface PreparedFilters extends PreparedCondition {
  parts: Part[];
}

/**
 * Reads the definitions and checks the `cf.*` parameters of a list's querystring
 * (400 naming the parameter for anything wrong); null when there are none.
 */
export async function prepareCustomFieldFilters(
  q: DefinitionsSource,
  objectType: CustomFieldObjectType,
  query: Record<string, unknown>,
  opts: Omit<ConditionOptions, 'firstParam'> = {},
): Promise<PreparedFilters | null> {
  const names = Object.keys(query).filter((k) => k.startsWith('cf.'));
  if (names.length === 0) return null;
  const defs = new Map((await definitionsFrom(q, objectType)).map((d) => [d.key, d]));
  const region = opts.phoneRegion ?? getCustomFieldPhoneRegion();
  const parts: Part[] = [];
  const errors: FieldError[] = [];

  for (const name of names.sort()) {
    const m = PARAM.exec(name);
    const def = m ? defs.get(m[1]) : undefined;
    if (!m || !def || def.retired) {
      errors.push({ field: name, message: 'not a custom field of this list' });
      continue;
    }
    if (!def.filterable) {
      errors.push({ field: name, message: 'this custom field is not filterable' });
      continue;
    }
    const op = m[2] as keyof typeof OPERATORS | undefined;
    if (op && !RANGE_TYPES.has(def.type)) {
      errors.push({ field: name, message: 'ranges apply to number, decimal, date and dateTime fields' });
      continue;
    }
    const raw = query[name];
    const list = (Array.isArray(raw) ? raw : [raw]).map((v) => String(v ?? ''));
    if (list.length === 0 || (op && list.length > 1)) {
      errors.push({ field: name, message: op ? 'give one bound' : 'needs a value' });
      continue;
    }
    const values: unknown[] = [];
    for (const v of list) {
      const r = filterValue(def, v, region, Boolean(op));
      if (!r.ok) errors.push({ field: name, message: r.message });
      else values.push(r.value);
    }
    if (values.length !== list.length) continue;

    const expr = valueExpression(def.type, def.key, opts.alias);
    const sqlType = SQL_TYPES[def.type];
    const cast = sqlType ? `::${sqlType}` : '';
    // Date-times compare as UTC timestamps: '2024-05-01T14:30:00.000Z' → '2024-05-01 14:30:00.000'.
    const param = (v: unknown) => (def.type === 'dateTime' ? String(v).replace('T', ' ').replace('Z', '') : String(v));
    if (def.type === 'multiPick') {
      parts.push((add) => (values.length === 1 ? `${expr} ? ${add(values[0])}` : `${expr} ?| ${add(values)}::text[]`));
    } else if (op) {
      parts.push((add) => `${expr} ${OPERATORS[op]} ${add(param(values[0]))}${cast}`);
    } else if (values.length === 1) {
      parts.push((add) => `${expr} = ${add(param(values[0]))}${cast}`);
    } else {
      parts.push((add) => `${expr} = ANY(${add(values.map(param))}::${sqlType ?? 'text'}[])`);
    }
  }
  if (errors.length > 0) throw new Invalid(errors);
  return { parts, render: (add) => parts.map((part) => part(add)).join(' AND ') };
}

/** Turns the `cf.*` parameters of a list's querystring into SQL conditions numbered from `firstParam`. */
export async function customFieldConditions(
  q: Queryable,
  objectType: CustomFieldObjectType,
  query: Record<string, unknown>,
  opts: ConditionOptions = {},
): Promise<SqlConditions> {
  const prepared = await prepareCustomFieldFilters(q, objectType, query, opts);
  if (!prepared) return { sql: '', conditions: [], params: [] };
  const params: unknown[] = [];
  const first = opts.firstParam ?? 1;
  const add = (v: unknown) => {
    params.push(v);
    return `$${first + params.length - 1}`;
  };
  const conditions = prepared.parts.map((part) => part(add));
  return { sql: conditions.join(' AND '), conditions, params };
}

/**
 * The `q` part for searchable custom fields: "one of them contains the term"
 * (case-insensitive), served by each field's trigram index (terms of 3+
 * characters use it). Null when the type has no searchable field or the term is
 * too short to search with. OR it into the list's own q condition.
 */
export async function prepareCustomFieldSearch(
  q: DefinitionsSource,
  objectType: CustomFieldObjectType,
  term: string,
  opts: { alias?: string } = {},
): Promise<PreparedCondition | null> {
  const text = term.trim().toLowerCase();
  if (text.length < 2) return null;
  const fields = (await definitionsFrom(q, objectType)).filter((d) => d.searchable && !d.retired);
  if (fields.length === 0) return null;
  const like = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return {
    render: (add) => {
      const p = add(like);
      return `(${fields.map((f) => `${searchExpression(f.key, opts.alias)} LIKE ${p}`).join(' OR ')})`;
    },
  };
}

/** prepareCustomFieldSearch, numbered from `firstParam` (one parameter). */
export async function customFieldSearchCondition(
  q: Queryable,
  objectType: CustomFieldObjectType,
  term: string,
  opts: Omit<ConditionOptions, 'phoneRegion'> = {},
): Promise<{ sql: string; params: unknown[] } | null> {
  const prepared = await prepareCustomFieldSearch(q, objectType, term, opts);
  if (!prepared) return null;
  const params: unknown[] = [];
  const sql = prepared.render((v) => {
    params.push(v);
    return `$${opts.firstParam ?? 1}`;
  });
  return { sql, params };
}
