import type { Queryable } from '../../db/adapter.js';
import { Invalid, type FieldError } from '../../http/errors.js';
import { loadDefinitions, type FieldDef } from './store.js';

export type { FieldDef } from './store.js';
import { OBJECT_TYPES, type CustomFieldObjectType } from './tables.js';
import { normaliseValue, sameValue } from './values.js';

export type { CustomFieldObjectType } from './tables.js';

/** Arbitrary constant (two-key form): writers share it per object type; type changes and deletes take it alone. */
export const CUSTOM_FIELD_LOCK = 7_340_500;
export const lockKeyOf = (objectType: CustomFieldObjectType) => OBJECT_TYPES.indexOf(objectType);

let defaultPhoneRegion = 'US';
/** The deployment's DEFAULT_PHONE_REGION (set once by the service at start). */
export function setCustomFieldPhoneRegion(region: string): void {
  defaultPhoneRegion = region;
}
export function getCustomFieldPhoneRegion(): string {
  return defaultPhoneRegion;
}

export interface ValidateOptions {
  /** Default: 'create' when `previous` is undefined, else 'update'. */
  mode?: 'create' | 'update';
  /** A draft (customers, C3): required fields are not enforced. */
  draft?: boolean;
  /** Enforce every required field on an update too (a draft being completed). */
  requireAll?: boolean;
  /** Region for phone numbers without a country code; default: the configured DEFAULT_PHONE_REGION. */
  phoneRegion?: string;
}

const MAX_KEYS = 256;

/**
 * Validates the `customFields` of a write against the administrator's field
 * definitions and returns the complete object to store. Call it inside the
 * write's transaction, before writing the row: it takes a shared lock that a
 * type change or a field delete waits for, so no value of an old type slips in.
 *
 * - Create (`previous` undefined): defaults fill the keys the input does not
 *   name; every active required field needs a value (unless `draft`).
 * - Update (`previous` = the stored object): only the keys sent change; `null`
 *   (or "" / []) clears a value; a required field cannot be cleared. Required
 *   fields the record never had are not forced on an unrelated edit (they are
 *   with `requireAll`, e.g. when a draft is completed).
 * - Unknown keys are refused; a retired field takes no new value (the stored one
 *   may be sent back unchanged); a retired pick-list option likewise.
 * - Values are normalised (see values.ts): phones to E.164, emails lower-cased,
 *   date-times to UTC, multi-picks deduplicated in option order.
 * Errors: one Invalid (400) naming every bad field as `customFields.<key>`.
 */
export async function validateCustomFields(
  q: Queryable,
  objectType: CustomFieldObjectType,
  input: Record<string, unknown> | undefined,
  previous?: Record<string, unknown>,
  opts: ValidateOptions = {},
): Promise<Record<string, unknown>> {
  const mode = opts.mode ?? (previous === undefined ? 'create' : 'update');
  const entries = entriesOf(input);
  if (mode === 'update' && entries.length === 0 && !opts.requireAll) return { ...previous };
  const validator = await prepareCustomFieldValidator(q, objectType);
  return validator.validate(input, previous, opts);
}

export interface CustomFieldValidator {
  /** The definitions read (imports convert a file's text to each field's type, and pick-list labels to keys). */
  readonly definitions: readonly FieldDef[];
  /** validateCustomFields' rules, against the definitions read once (synchronous). */
  validate(
    input: Record<string, unknown> | undefined,
    previous?: Record<string, unknown>,
    opts?: ValidateOptions,
  ): Record<string, unknown>;
}

/** The definitions as one comparable text: work done with definitions read ahead is kept only if these are equal. */
export function definitionsKey(defs: readonly FieldDef[]): string {
  return JSON.stringify(defs);
}

/**
 * prepareCustomFieldValidator without the lock, for work done ahead of a
 * write's transaction (an import's next chunk): the transaction validates
 * again unless, under the lock, it reads the same definitions (definitionsKey).
 */
export async function readCustomFieldValidatorAhead(
  q: Queryable,
  objectType: CustomFieldObjectType,
): Promise<CustomFieldValidator> {
  return validatorOf(await loadDefinitions(q, objectType));
}

/** A validator of these definitions: what does not change from record to record (the definitions by key) is worked out once. */
function validatorOf(defs: FieldDef[]): CustomFieldValidator {
  const byKey = new Map(defs.map((d) => [d.key, d]));
  return {
    definitions: defs,
    validate: (input, previous, opts = {}) => applyRules(defs, byKey, input, previous, opts),
  };
}

/**
 * For many records in one transaction (imports): takes the shared lock and reads
 * the definitions once; `validate` then applies validateCustomFields' rules to
 * each record without a query.
 */
export async function prepareCustomFieldValidator(
  q: Queryable,
  objectType: CustomFieldObjectType,
): Promise<CustomFieldValidator> {
  await q.query('SELECT pg_advisory_xact_lock_shared($1, $2)', [CUSTOM_FIELD_LOCK, lockKeyOf(objectType)]);
  return validatorOf(await loadDefinitions(q, objectType));
}

function entriesOf(input: Record<string, unknown> | undefined): [string, unknown][] {
  if (input !== undefined && (typeof input !== 'object' || input === null || Array.isArray(input))) {
    throw new Invalid([{ field: 'customFields', message: 'must be an object of field keys and values' }]);
  }
  const entries = Object.entries(input ?? {}).filter(([, v]) => v !== undefined);
  if (entries.length > MAX_KEYS) throw new Invalid([{ field: 'customFields', message: 'has too many keys' }]);
  return entries;
}

function applyRules(
  defs: FieldDef[],
  byKey: ReadonlyMap<string, FieldDef>,
  input: Record<string, unknown> | undefined,
  previous: Record<string, unknown> | undefined,
  opts: ValidateOptions,
): Record<string, unknown> {
  const mode = opts.mode ?? (previous === undefined ? 'create' : 'update');
  const prev: Record<string, unknown> = previous ?? {};
  const entries = entriesOf(input);
  const region = opts.phoneRegion ?? defaultPhoneRegion;
  const errors: FieldError[] = [];
  const result: Record<string, unknown> = { ...prev };
  const named = new Set<string>();

  for (const [key, raw] of entries) {
    const field = `customFields.${key}`;
    named.add(key);
    const def = byKey.get(key);
    if (!def) {
      errors.push({ field, message: 'unknown field' });
      continue;
    }
    const r = normaliseValue(def, raw, { phoneRegion: region, previous: prev[key] });
    if (!r.ok) {
      errors.push({ field, message: r.message });
      continue;
    }
    if (def.retired && !sameValue(r.value, prev[key])) {
      errors.push({ field, message: 'the field is retired: it keeps its values but takes no new ones' });
      continue;
    }
    if (r.value === null) {
      delete result[key];
      if (def.required && !def.retired && !opts.draft) errors.push({ field, message: 'required' });
    } else {
      result[key] = r.value;
    }
  }

  for (const def of defs) {
    if (def.retired) continue;
    if (mode === 'create' && !named.has(def.key) && def.default !== null && result[def.key] === undefined) {
      result[def.key] = def.default;
    }
    const enforce = !opts.draft && (mode === 'create' || opts.requireAll);
    if (enforce && def.required && !named.has(def.key) && result[def.key] === undefined) {
      errors.push({ field: `customFields.${def.key}`, message: 'required' });
    }
  }
  if (errors.length > 0) throw new Invalid(errors);
  return result;
}
