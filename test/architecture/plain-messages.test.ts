import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plainMessage, RAW_VALIDATOR_TEXT } from '../../src/http/messages.js';
import { startTestApp, type TestApp } from '../helpers.js';

/**
 * Every field error a person reads is a sentence in plain words: the
 * validator's own text (`must NOT have fewer than 1 characters`, a regular
 * expression) never reaches a response. The walk takes every route's request
 * body schema from the OpenAPI document, breaks each property every way its
 * schema allows (missing, wrong type, too short, too long, bad format, bad
 * pattern, not one of the values, too many entries, an unknown field) and
 * checks the problem+json answers.
 */
interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  minItems?: number;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
}

function example(s: JsonSchema): unknown {
  if (s.anyOf) return example(s.anyOf[0]);
  if (s.const !== undefined) return s.const;
  if (s.enum) return s.enum[0];
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (type === 'string') {
    if (s.format === 'email') return 'a@example.com';
    if (s.format === 'date-time') return '2026-12-05T08:00:00Z';
    if (s.format === 'date') return '2026-12-05';
    if (s.format === 'uuid') return randomUUID();
    return 'a'.repeat(Math.max(1, s.minLength ?? 1));
  }
  if (type === 'integer' || type === 'number') return s.minimum ?? 1;
  if (type === 'boolean') return true;
  if (type === 'array') return [];
  if (type === 'object') return {};
  return null;
}

/** Ways to break one property: each a value to send in its place (undefined: leave it out). */
function breakings(s: JsonSchema): unknown[] {
  const out: unknown[] = [];
  const branches = s.anyOf ?? [s];
  for (const b of branches) {
    const type = Array.isArray(b.type) ? b.type[0] : b.type;
    out.push(type === 'string' ? 12345 : 'not-the-right-type');
    if (typeof b.maxLength === 'number') out.push('x'.repeat(b.maxLength + 1));
    if (typeof b.minLength === 'number' && b.minLength > 0) out.push('');
    if (b.pattern || b.format) out.push('?? not @ valid ??');
    if (b.enum || b.const !== undefined) out.push('not-one-of-them');
    if (typeof b.maximum === 'number') out.push(b.maximum + 1);
    if (typeof b.minimum === 'number') out.push(b.minimum - 1);
    if (typeof b.maxItems === 'number' && b.items)
      out.push(Array.from({ length: b.maxItems + 1 }, () => example(b.items!)));
    if (type === 'array' && b.items) out.push([{ wrong: true }]);
    if (type === 'object' && b.properties) out.push({ ...b, unknownThing: 1 });
  }
  return out;
}

describe('field errors are sentences in plain words', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  it('every kind of validator error has a plain sentence', () => {
    const kinds: [string, Record<string, unknown>][] = [
      ['required', { missingProperty: 'lastName' }],
      ['additionalProperties', { additionalProperty: 'x' }],
      ['type', { type: 'string' }],
      ['minLength', { limit: 1 }],
      ['minLength', { limit: 8 }],
      ['maxLength', { limit: 200 }],
      ['format', { format: 'email' }],
      ['format', { format: 'something-new' }],
      ['pattern', { pattern: '^[a-z][a-z0-9_]{0,39}$' }],
      ['pattern', { pattern: '^(?:an|unknown)[0-9]{2,4}$' }],
      ['enum', { allowedValues: ['low', 'high'] }],
      ['const', { allowedValue: 'x' }],
      ['minimum', { limit: 1 }],
      ['maximum', { limit: 200 }],
      ['minItems', { limit: 1 }],
      ['maxItems', { limit: 10 }],
      ['uniqueItems', {}],
      ['anyOf', {}],
      ['propertyNames', {}],
      ['x-maxDepth', {}],
      ['somethingElse', {}],
    ];
    for (const [keyword, params] of kinds) {
      const m = plainMessage({ keyword, params, message: 'must NOT be raw' }, 'lastName');
      expect(m, keyword).toMatch(/^Last name .+\.$/);
      expect(m, keyword).not.toMatch(RAW_VALIDATOR_TEXT);
    }
    expect(plainMessage({ keyword: 'minLength', params: { limit: 1 } }, 'lastName')).toBe('Last name is required.');
    expect(plainMessage({ keyword: 'format', params: { format: 'email' } }, 'email')).toBe(
      'Email must be an email address like name@example.com.',
    );
    expect(plainMessage({ keyword: 'maxLength', params: { limit: 200 } }, 'subject')).toBe(
      'Subject can be at most 200 characters.',
    );
    expect(plainMessage({ keyword: 'type', params: { type: 'string' } }, 'phones.0.number')).toBe(
      'Number (phones, item 1) must be text.',
    );
  });

  it('the usual mistakes read as sentences, naming the field', async () => {
    const c = await t.admin.post('/api/v1/customers', { firstName: 'Ann', lastName: '' });
    expect(c.statusCode).toBe(400);
    expect(c.json().errors).toEqual([{ field: 'lastName', message: 'Last name is required (or save as a draft).' }]);
    const e = await t.admin.post('/api/v1/customers', { firstName: 'Ann', lastName: 'Lee', email: 'nope' });
    expect(e.json().errors).toEqual([
      { field: 'email', message: 'Email must be an email address like name@example.com.' },
    ]);
    const ok = (await t.admin.post('/api/v1/customers', { firstName: 'Ann', lastName: 'Lee' })).json() as {
      id: string;
    };
    const s = await t.admin.post('/api/v1/cases', { customerId: ok.id, subject: 'x'.repeat(501) });
    expect(s.json().errors).toEqual([{ field: 'subject', message: 'Subject can be at most 500 characters.' }]);
    const u = await t.admin.post('/api/v1/customers', { firstName: 'Ann', lastName: 'Lee', shoeSize: 9 });
    expect(u.json().errors[0].field).toBe('shoeSize');
    expect(u.json().errors[0].message).toMatch(/^Shoe size is not a field/);
  });

  it('no raw validator text in any problem body produced by invalid input to any route', async () => {
    const doc = (await t.admin.get('/api/openapi.json')).json() as {
      paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }>>;
    };
    let checked = 0;
    const raw: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (!path.startsWith('/api/')) continue;
      for (const [method, op] of Object.entries(ops)) {
        const schema = op.requestBody?.content?.['application/json']?.schema;
        if (!schema?.properties) continue;
        const url = path.replace(/\{([A-Za-z]+)\}/g, (_m, name: string) => (name === 'role' ? 'agent' : randomUUID()));
        const base: Record<string, unknown> = {};
        for (const k of schema.required ?? []) base[k] = example(schema.properties[k]);
        const bodies: Record<string, unknown>[] = [{ ...base, notAFieldAnywhere: 1 }];
        for (const k of schema.required ?? []) {
          const { [k]: _drop, ...rest } = base;
          bodies.push(rest);
        }
        for (const [k, prop] of Object.entries(schema.properties)) {
          for (const v of breakings(prop)) bodies.push({ ...base, [k]: v });
        }
        for (const body of bodies) {
          const res = await t.admin.request(method.toUpperCase() as 'POST', url, body);
          if (res.statusCode !== 400) continue;
          checked++;
          const problem = res.json() as { detail?: string; errors?: { field: string; message: string }[] };
          for (const e of problem.errors ?? []) {
            expect(typeof e.field, `${method} ${path}`).toBe('string');
            if (RAW_VALIDATOR_TEXT.test(e.message)) raw.push(`${method} ${path} ${e.field}: ${e.message}`);
          }
          if (problem.detail && RAW_VALIDATOR_TEXT.test(problem.detail)) {
            raw.push(`${method} ${path} detail: ${problem.detail}`);
          }
        }
      }
    }
    expect(raw).toEqual([]);
    expect(checked).toBeGreaterThan(200);
  });
});
