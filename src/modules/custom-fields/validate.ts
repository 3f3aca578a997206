import type { Queryable } from '../../db/adapter.js';
import { Invalid } from '../../http/errors.js';

export type CustomFieldObjectType = 'customer' | 'case' | 'followUp' | 'task';

/**
 * Validates the `customFields` of a write against the administrator's field
 * definitions and returns the values to store (defaults applied). `previous`
 * is the stored value on update (a PATCH sends only changed keys).
 *
 * Placeholder until the custom-fields module lands: no field is defined yet,
 * so every key is unknown and refused.
 */
export async function validateCustomFields(
  _q: Queryable,
  _objectType: CustomFieldObjectType,
  input: Record<string, unknown> | undefined,
  previous: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const keys = Object.keys(input ?? {});
  if (keys.length > 0) throw new Invalid(keys.map((k) => ({ field: `customFields.${k}`, message: 'unknown field' })));
  return { ...previous };
}
