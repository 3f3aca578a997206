import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../test/helpers.js';

describe('customers by external id', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });
  const url = '/api/v1/customers/by-external-id/crm/C-1001';

  it('upsert creates, then changes, and is idempotent; the history names the system', async () => {
    const api = await t.apiKey('admin');
    const first = await api.put(url, { firstName: 'Ext', lastName: 'Ernal', email: 'ext@example.test' });
    expect(first.statusCode, first.body).toBe(201);
    const id = first.json().id as string;
    const again = await api.put(url, { firstName: 'Ext', lastName: 'Ernal', email: 'ext@example.test' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(first.json()); // nothing changed, same version
    const changed = await api.put(url, { lastName: 'Changed' });
    expect(changed.json()).toMatchObject({ id, lastName: 'Changed', version: first.json().version + 1 });
    const stale = await api.put(url, { lastName: 'Stale', version: 1 });
    expect(stale.statusCode).toBe(409);

    expect((await api.get(url)).json().id).toBe(id);
    expect((await api.get(`/api/v1/customers/${id}/external-ids`)).json()).toEqual([{ system: 'crm', id: 'C-1001' }]);
    expect((await api.get('/api/v1/customers/by-external-id/crm/nope')).statusCode).toBe(404);
    const history = (await api.get(`/api/v1/customers/${id}/history`)).json().items as { by?: unknown }[];
    expect(JSON.stringify(history)).toContain('(crm)');
  });

  it('bad input names the field and changes nothing; an id names one customer', async () => {
    const bad = await t.admin.put('/api/v1/customers/by-external-id/CRM!/x', { firstName: 'A', lastName: 'B' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('system');
    const invalid = await t.admin.put('/api/v1/customers/by-external-id/crm/C-2', { firstName: 'OnlyFirst' });
    expect(invalid.statusCode).toBe(400);
    expect((await t.admin.get('/api/v1/customers/by-external-id/crm/C-2')).statusCode).toBe(404);

    const other = await t.admin.post('/api/v1/customers', { firstName: 'Other', lastName: 'One' });
    const clash = await t.admin.put(`/api/v1/customers/${other.json().id}/external-ids/crm`, { id: 'C-1001' });
    expect(clash.statusCode).toBe(409);
    const ok = await t.admin.put(`/api/v1/customers/${other.json().id}/external-ids/billing`, { id: 'B-7' });
    expect(ok.json()).toEqual([{ system: 'billing', id: 'B-7' }]);
    const agent = await t.user('agent', { privileges: ['customers.view'] });
    const denied = await agent.put('/api/v1/customers/by-external-id/crm/C-3', { firstName: 'A', lastName: 'B' });
    expect(denied.statusCode).toBe(403);
  });

  it('two upserts of one new id at once make one customer', async () => {
    const [a, b] = await Promise.all([
      t.admin.put('/api/v1/customers/by-external-id/crm/C-race', { firstName: 'Race', lastName: 'One' }),
      t.admin.put('/api/v1/customers/by-external-id/crm/C-race', { firstName: 'Race', lastName: 'One' }),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 201]);
    expect(a.json().id).toBe(b.json().id);
  });
});
