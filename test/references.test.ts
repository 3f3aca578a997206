import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers.js';

/** How records that point at each other behave across modules: nothing is lost silently. */
describe('references between records', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  async function customer(lastName: string) {
    const res = await t.admin.post('/api/v1/customers', { firstName: 'Ref', lastName });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; version: number };
  }

  it('a customer with a task cannot be deleted, and the answer says why', async () => {
    const c = await customer('Tasked');
    const task = await t.admin.post('/api/v1/tasks', { type: 'call', subject: 'Call back', customerId: c.id });
    expect(task.statusCode, task.body).toBe(201);
    const res = await t.admin.delete(`/api/v1/customers/${c.id}`, { 'if-match': `"${c.version}"` });
    expect(res.statusCode).toBe(409);
    expect(res.json().detail).toMatch(/still has tasks/);
    expect((await t.admin.get(`/api/v1/customers/${c.id}`)).statusCode).toBe(200);
    expect((await t.admin.get(`/api/v1/tasks/${task.json().id}`)).statusCode).toBe(200);
  });

  it('a customer with a case cannot be deleted, and the answer says why', async () => {
    const c = await customer('Cased');
    const kase = await t.admin.post('/api/v1/cases', { customerId: c.id, subject: 'Broken' });
    expect(kase.statusCode, kase.body).toBe(201);
    const res = await t.admin.delete(`/api/v1/customers/${c.id}`, { 'if-match': `"${c.version}"` });
    expect(res.statusCode).toBe(409);
    expect(res.json().detail).toMatch(/still has cases/);
  });

  it('a customer with neither is deleted', async () => {
    const c = await customer('Alone');
    const res = await t.admin.delete(`/api/v1/customers/${c.id}`, { 'if-match': `"${c.version}"` });
    expect(res.statusCode).toBe(204);
  });

  it('a reference to a record that does not exist is a 400 naming the field', async () => {
    const res = await t.admin.post('/api/v1/tasks', { type: 'call', subject: 'x', customerId: randomUUID() });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].field).toBe('customerId');
    const kase = await t.admin.post('/api/v1/cases', { customerId: randomUUID(), subject: 'x' });
    expect(kase.statusCode).toBe(400);
    expect(kase.json().errors[0].field).toBe('customerId');
  });

  it('disabling a user stops their API key at once, even one used a moment ago', async () => {
    const key = await t.apiKey('agent');
    expect((await key.get('/api/v1/me')).statusCode).toBe(200);
    const user = (await t.admin.get(`/api/v1/users/${key.userId}`)).json();
    expect(
      (await t.admin.patch(`/api/v1/users/${key.userId}`, { disabled: true, version: user.version })).statusCode,
    ).toBe(200);
    expect((await key.get('/api/v1/me')).statusCode).toBe(401);
  });
});
