import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers.js';

/**
 * Issue 16, defects 10–12: what reaches the server before any handler — NUL
 * characters, a badly encoded path, a wrong method, free-form JSON without
 * bounds — is answered 400/405 in the one problem+json shape, naming the field,
 * and never a 500.
 */
describe('the input boundary', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  const problem = (res: { statusCode: number; headers: Record<string, unknown>; body: string }, status = 400) => {
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    return JSON.parse(res.body) as { status: number; errors?: { field: string; message: string }[] };
  };
  const nulField = (res: Parameters<typeof problem>[0], field: string) => {
    const body = problem(res);
    expect(body.errors).toEqual([{ field, message: expect.stringMatching(/ must not contain the NUL character\.$/) }]);
  };

  it('defect 10: a NUL character in any text input is a 400 naming the field, signed in or not', async () => {
    nulField(await t.admin.post('/api/v1/customers', { firstName: 'A\u0000', lastName: 'B' }), 'firstName');
    nulField(await t.admin.get('/api/v1/customers?q=a%00b'), 'q');
    nulField(await t.admin.get('/api/v1/lookup?email=a%00@example.com'), 'email');
    nulField(await t.anonymous.post('/api/v1/auth/login', { email: 'a\u0000@x.test', password: 'x' }), 'email');
    nulField(await t.anonymous.post('/api/portal/login', { login: 'a\u0000@x.test', password: 'x' }), 'login');
    const c = (await t.admin.post('/api/v1/customers', { firstName: 'Nul', lastName: 'Case' })).json();
    nulField(await t.admin.post('/api/v1/cases', { customerId: c.id, subject: 'x\u0000y' }), 'subject');
    const k = (await t.admin.post('/api/v1/cases', { customerId: c.id, subject: 'ok' })).json();
    nulField(await t.admin.post(`/api/v1/cases/${k.id}/follow-ups`, { kind: 'note', body: 'a\u0000' }), 'body');
    nulField(await t.admin.get('/api/v1/customers/%00'), 'id');
    // An object key too.
    const key = problem(await t.admin.put('/api/v1/me/preferences', { 'a\u0000': 1 }));
    expect(key.errors?.[0].message).toMatch(/NUL/);
  });

  it('defect 11: router errors are problem+json: a badly encoded path (no sign-in needed), a wrong method', async () => {
    problem(await t.anonymous.get('/api/v1/customers/%ED%A0%80'));
    problem(await t.anonymous.get('/api/v1/customers/%E0%A4%A'));
    const wrong = await t.admin.request('DELETE', '/api/v1/customers');
    problem(wrong, 405);
    expect(wrong.headers.allow).toMatch(/GET/);
    problem(await t.admin.get('/api/v1/no-such-thing'), 404);
    problem(await t.admin.request('POST', '/api/v1/customers', '{', { 'content-type': 'application/json' }));
  });

  it('defect 12: preferences bound key length and nesting in their schema (400, not 500)', async () => {
    problem(await t.admin.put('/api/v1/me/preferences', { ['k'.repeat(101)]: 1 }));
    const deep = '{"a":' + '['.repeat(5000) + ']'.repeat(5000) + '}';
    problem(await t.admin.request('PUT', '/api/v1/me/preferences', deep, { 'content-type': 'application/json' }));
    let nine: unknown = 1;
    for (let i = 0; i < 9; i++) nine = [nine];
    const body = problem(await t.admin.put('/api/v1/me/preferences', { a: nine }));
    expect(body.errors?.[0]).toMatchObject({ field: 'a', message: 'A must not nest more than 8 levels deep.' });
    let eight: unknown = 1;
    for (let i = 0; i < 8; i++) eight = [eight];
    expect((await t.admin.put('/api/v1/me/preferences', { a: eight })).statusCode).toBe(200);
    const doc = (await t.anonymous.get('/api/openapi.json')).json();
    const put = doc.paths['/api/v1/me/preferences'].put.requestBody.content['application/json'].schema;
    expect(put.propertyNames).toMatchObject({ maxLength: 100 });
  });
});
