import { describe, expect, it } from 'vitest';
import { diffFields } from './service.js';

describe('history changes', () => {
  // Values of every kind a record's view holds but nested objects (compared per key, below), including those
  // JSON reads differently from JavaScript.
  const values: unknown[] = [
    undefined,
    null,
    '',
    'text',
    'null',
    'true',
    false,
    true,
    0,
    -0,
    3.5,
    NaN,
    Infinity,
    new Date(0),
    new Date(NaN),
    '1970-01-01T00:00:00.000Z',
    [],
    ['a', 'b'],
  ];
  const readsTheSameAsJson = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

  it('names a field changed exactly when its stored JSON differs', () => {
    for (const a of values) {
      for (const b of values) {
        const changed = diffFields({ field: a }, { field: b }).length > 0;
        expect(changed, `${String(a)} → ${String(b)}`).toBe(!readsTheSameAsJson(a, b));
      }
    }
  });

  it("names a new record's fields, nested ones by their path, and leaves out those without a value", () => {
    const record = {
      accountNumber: 'A1',
      vip: false,
      missing: null,
      phones: [{ type: 'voice', number: '+1 415 555 0100' }],
      primaryAddress: { street: '1 Main St', city: null, nested: { deep: 'x', none: null } },
      customFields: { tier: 'gold', empty: {}, when: new Date(0), ratio: NaN },
      emptyList: [],
      nothing: {},
    };
    expect(diffFields({}, record)).toEqual([
      { field: 'accountNumber', from: null, to: 'A1' },
      { field: 'vip', from: null, to: false },
      { field: 'phones', from: null, to: [{ type: 'voice', number: '+1 415 555 0100' }] },
      { field: 'primaryAddress.street', from: null, to: '1 Main St' },
      { field: 'primaryAddress.nested.deep', from: null, to: 'x' },
      { field: 'customFields.tier', from: null, to: 'gold' },
      { field: 'customFields.when', from: null, to: new Date(0) },
      { field: 'emptyList', from: null, to: [] },
    ]);
  });
});
