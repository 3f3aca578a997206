import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers.js';

/** Idempotency-Key on POST: retries replay the first answer and never write twice. */
describe('Idempotency-Key', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  const count = async (lastName: string) =>
    (await t.db.query<{ n: number }>('SELECT count(*) AS n FROM customers WHERE last_name = $1', [lastName]))[0].n;

  it('a retry with the same key and body answers the stored response and creates nothing', async () => {
    const body = { firstName: 'Idem', lastName: 'Once' };
    const first = await t.admin.post('/api/v1/customers', body, { 'idempotency-key': 'k-1' });
    expect(first.statusCode, first.body).toBe(201);
    const again = await t.admin.post('/api/v1/customers', body, { 'idempotency-key': 'k-1' });
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers['content-type']).toMatch(/application\/json/);
    expect(again.json().id).toBe(first.json().id);
    expect(await count('Once')).toBe(1);
  });

  it('the same key with another body is a 409 naming the header; nothing is written', async () => {
    const res = await t.admin.post(
      '/api/v1/customers',
      { firstName: 'Other', lastName: 'Once' },
      {
        'idempotency-key': 'k-1',
      },
    );
    expect(res.statusCode).toBe(409);
    expect(res.json().errors).toEqual([{ field: 'Idempotency-Key', message: 'already used for a different request' }]);
    expect(await count('Once')).toBe(1);
  });

  it('keys are per user, and a malformed key is a 400', async () => {
    const other = await t.user('supervisor');
    const body = { firstName: 'Idem', lastName: 'PerUser' };
    expect((await t.admin.post('/api/v1/customers', body, { 'idempotency-key': 'shared' })).statusCode).toBe(201);
    expect((await other.post('/api/v1/customers', body, { 'idempotency-key': 'shared' })).statusCode).toBe(201);
    expect(await count('PerUser')).toBe(2);
    const bad = await t.admin.post('/api/v1/customers', body, { 'idempotency-key': 'has space' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('Idempotency-Key');
  });

  it('a refused request records nothing: the corrected retry with the same key runs', async () => {
    const bad = await t.admin.post(
      '/api/v1/customers',
      { firstName: 'Idem', lastName: 'Fixed', bogus: 1 },
      {
        'idempotency-key': 'k-fix',
      },
    );
    expect(bad.statusCode).toBe(400);
    const ok = await t.admin.post(
      '/api/v1/customers',
      { firstName: 'Idem', lastName: 'Fixed' },
      {
        'idempotency-key': 'k-fix',
      },
    );
    expect(ok.statusCode).toBe(201);
    expect(await count('Fixed')).toBe(1);
  });

  it('the same request sent five times at once writes once', async () => {
    const body = { firstName: 'Idem', lastName: 'Burst' };
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => t.admin.post('/api/v1/customers', body, { 'idempotency-key': 'k-burst' })),
    );
    const codes = answers.map((a) => a.statusCode);
    expect(
      codes.every((c) => c === 201 || c === 409),
      codes.join(),
    ).toBe(true);
    expect(codes.filter((c) => c === 201).length).toBeGreaterThanOrEqual(1);
    const ids = new Set(answers.filter((a) => a.statusCode === 201).map((a) => a.json().id));
    expect(ids.size).toBe(1);
    expect(await count('Burst')).toBe(1);
  });
});
