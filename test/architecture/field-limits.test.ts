import { describe, expect, it } from 'vitest';
import { fieldLimits } from '../../src/http/field-limits.js';
import { FIELD_LIMITS } from '../../web/src/fieldLimits.js';
import { CaseCreate } from '../../src/modules/cases/schema.js';
import { CustomerCreate } from '../../src/modules/customers/schema.js';

/**
 * The console's inputs carry the API's limits (maxlength, required) so a person
 * learns them before submitting. The limits are generated from the schemas
 * (`npm run field-limits`); this fails when the generated file is stale.
 */
describe('the console knows the API limits', () => {
  it('web/src/fieldLimits.ts matches the schemas (run `npm run field-limits`)', () => {
    expect(FIELD_LIMITS).toEqual(fieldLimits());
  });
  it('reads the limits from the schemas themselves', () => {
    expect(FIELD_LIMITS.case.subject).toEqual({ maxLength: CaseCreate.properties.subject.maxLength, required: true });
    const last = CustomerCreate.properties.lastName.anyOf[0] as { maxLength?: number };
    expect(FIELD_LIMITS.customer.lastName.maxLength).toBe(last.maxLength);
  });
});
