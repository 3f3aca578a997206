import { describe, expect, it } from 'vitest';
import { createdFields, diffFields } from './service.js';

describe('history changes', () => {
  it("names a new record's fields exactly as a difference from nothing does", () => {
    const records: Record<string, unknown>[] = [
      {},
      { a: null, b: undefined, c: '', d: 'text', e: false, f: true, g: 0, h: 3.5, i: NaN },
      {
        accountNumber: 'A1',
        firstName: 'Ann',
        phones: [{ type: 'voice', number: '+1 415 555 0100' }],
        primaryAddress: { street: '1 Main St', city: null, nested: { deep: 'x', none: null } },
        secondaryAddress: null,
        customFields: { tier: 'gold', tags: ['a', 'b'], empty: {}, when: new Date(0) },
        emptyList: [],
        nothing: {},
      },
    ];
    for (const r of records) expect(createdFields(r)).toEqual(diffFields({}, r));
    expect(JSON.stringify(createdFields(records[2]))).toBe(JSON.stringify(diffFields({}, records[2])));
  });
});
