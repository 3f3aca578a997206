import type { FieldError } from '../../http/errors.js';
import type { DefValues, FieldDef } from './store.js';
import { FILTERABLE_TYPES, normaliseValue, PICK_TYPES, SEARCHABLE_TYPES, UNIQUE_TYPES } from './values.js';

/**
 * The rules of a definition itself (not of values): which flags a type allows,
 * options for pick lists only, and a default that is a valid value of the field.
 * Returns every problem at once, and the default normalised as values are.
 */
export function checkDefinition(
  v: DefValues,
  _before: FieldDef | null,
  region: string,
): { errors: FieldError[]; defaultValue: unknown } {
  const errors: FieldError[] = [];
  const pick = PICK_TYPES.has(v.type);
  if (pick && v.options.length === 0)
    errors.push({ field: 'options', message: 'a pick list needs at least one option' });
  if (!pick && v.options.length > 0) {
    errors.push({ field: 'options', message: 'only singlePick and multiPick fields have options' });
  }
  const seen = new Set<string>();
  for (const o of v.options) {
    if (seen.has(o.key)) errors.push({ field: 'options', message: `option key ${JSON.stringify(o.key)} is repeated` });
    seen.add(o.key);
  }
  if (v.unique && v.objectType !== 'customer') {
    errors.push({ field: 'unique', message: 'only customer fields can be unique' });
  } else if (v.unique && !UNIQUE_TYPES.has(v.type)) {
    errors.push({
      field: 'unique',
      message: `a ${v.type} field cannot be unique (text, number, phone, email, url can)`,
    });
  }
  if (v.filterable && !FILTERABLE_TYPES.has(v.type)) {
    errors.push({ field: 'filterable', message: 'long text fields cannot be filtered on (make them searchable)' });
  }
  if (v.searchable && !SEARCHABLE_TYPES.has(v.type)) {
    errors.push({ field: 'searchable', message: 'only text, long text, phone, email and url fields are searchable' });
  }
  let defaultValue: unknown = null;
  if (v.default !== null && v.default !== undefined && errors.length === 0) {
    const r = normaliseValue(v, v.default, { phoneRegion: region });
    if (!r.ok) errors.push({ field: 'default', message: r.message });
    else defaultValue = r.value;
    if (r.ok && r.value !== null && v.unique) {
      errors.push({ field: 'default', message: 'a unique field cannot have a default (every record would share it)' });
    }
  }
  return { errors, defaultValue };
}

/** What the history of a definition compares. */
export function definitionView(d: FieldDef): Record<string, unknown> {
  return {
    objectType: d.objectType,
    key: d.key,
    label: d.label,
    helpText: d.helpText,
    type: d.type,
    options: d.options,
    required: d.required,
    default: d.default,
    unique: d.unique,
    filterable: d.filterable,
    searchable: d.searchable,
    order: d.order,
    retired: d.retired,
  };
}
