import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestClient } from '../../../test/helpers.js';
import { makeCase, makeCustomer, type CaseJson } from './fixtures.test-helpers.js';

const ALL = [
  'customers.view',
  'cases.view',
  'cases.create',
  'cases.edit',
  'cases.delete',
  'cases.addFollowUp',
  'cases.changeStatus',
  'cases.viewPrivate',
];
const without = (p: string) => ALL.filter((x) => x !== p);

describe('case privileges, each separately (A2)', () => {
  let t: TestApp;
  let customerId: string;
  let full: TestClient;
  beforeAll(async () => {
    t = await startTestApp();
    customerId = await makeCustomer(t);
    full = await t.user('agent', { privileges: ALL });
  });
  afterAll(async () => t?.close());

  it('cases.view: without it nothing about cases can be read', async () => {
    const c = await makeCase(full, customerId);
    const u = await t.user('agent', { privileges: without('cases.view') });
    for (const url of [
      '/api/v1/cases',
      `/api/v1/cases/${c.id}`,
      `/api/v1/cases/${c.id}/follow-ups`,
      `/api/v1/cases/${c.id}/history`,
      `/api/v1/customers/${customerId}/cases`,
    ]) {
      expect((await u.get(url)).statusCode, url).toBe(403);
    }
    expect((await u.get('/api/v1/case-settings')).statusCode).toBe(200);
  });

  it('cases.create', async () => {
    const u = await t.user('agent', { privileges: without('cases.create') });
    expect((await u.post('/api/v1/cases', { customerId, subject: 'x' })).statusCode).toBe(403);
    const v = await t.user('agent', { privileges: ['cases.view', 'cases.create'] });
    expect((await v.post('/api/v1/cases', { customerId, subject: 'x' })).statusCode).toBe(201);
  });

  it('cases.edit: other fields than status need it', async () => {
    const c = await makeCase(full, customerId);
    const u = await t.user('agent', { privileges: without('cases.edit') });
    for (const patch of [{ subject: 'New' }, { priority: 'high' }, { ownerId: u.userId }, { description: 'd' }]) {
      const res = await u.patch(`/api/v1/cases/${c.id}`, { ...patch, version: 1 });
      expect(res.statusCode, JSON.stringify(patch)).toBe(403);
    }
    // Status alone is changeStatus's business; an unchanged field sent along needs nothing.
    const res = await u.patch(`/api/v1/cases/${c.id}`, { status: 'closed', subject: c.subject, version: 1 });
    expect(res.statusCode).toBe(200);
    const onlyView = await t.user('agent', { privileges: ['cases.view'] });
    expect((await onlyView.patch(`/api/v1/cases/${c.id}`, { subject: 'x', version: 2 })).statusCode).toBe(403);
  });

  it('cases.changeStatus: status changes need it, on create too', async () => {
    const c = await makeCase(full, customerId);
    const u = await t.user('agent', { privileges: without('cases.changeStatus') });
    expect((await u.patch(`/api/v1/cases/${c.id}`, { status: 'closed', version: 1 })).statusCode).toBe(403);
    expect((await u.patch(`/api/v1/cases/${c.id}`, { subject: 'Edited', version: 1 })).statusCode).toBe(200);
    expect((await u.post('/api/v1/cases', { customerId, subject: 'x', status: 'closed' })).statusCode).toBe(403);
    expect((await full.post('/api/v1/cases', { customerId, subject: 'x', status: 'closed' })).statusCode).toBe(201);
    expect((await (await t.user('agent')).get(`/api/v1/cases/${c.id}`)).json().status).toBe('open');
  });

  it('cases.delete', async () => {
    const c = await makeCase(full, customerId);
    const u = await t.user('agent', { privileges: without('cases.delete') });
    expect((await u.delete(`/api/v1/cases/${c.id}`)).statusCode).toBe(403);
    const d = await t.user('agent', { privileges: ['cases.view', 'cases.delete'] });
    expect((await d.delete(`/api/v1/cases/${c.id}`)).statusCode).toBe(204);
  });

  it('cases.addFollowUp', async () => {
    const c = await makeCase(full, customerId);
    const u = await t.user('agent', { privileges: without('cases.addFollowUp') });
    expect((await u.post(`/api/v1/cases/${c.id}/follow-ups`, { kind: 'note', body: 'x' })).statusCode).toBe(403);
    const a = await t.user('agent', { privileges: ['cases.view', 'cases.addFollowUp'] });
    expect((await a.post(`/api/v1/cases/${c.id}/follow-ups`, { kind: 'note', body: 'x' })).statusCode).toBe(201);
    expect((await u.get(`/api/v1/cases/${c.id}/follow-ups`)).json().items).toHaveLength(1);
  });

  it('cases.viewPrivate: a private case does not exist for others — get, lists, follow-ups, history', async () => {
    const priv = await makeCase(full, customerId, { visibility: 'private', subject: 'Secret matter' });
    const pub = await makeCase(full, customerId, { subject: 'Public matter' });
    await full.post(`/api/v1/cases/${priv.id}/follow-ups`, { kind: 'note', body: 'hush' });
    const u = await t.user('agent', { privileges: without('cases.viewPrivate') });
    for (const url of [
      `/api/v1/cases/${priv.id}`,
      `/api/v1/cases/${priv.id}/follow-ups`,
      `/api/v1/cases/${priv.id}/history`,
      `/api/v1/customers/${customerId}/cases?caseId=${priv.id}`,
    ]) {
      expect((await u.get(url)).statusCode, url).toBe(404);
    }
    expect((await u.post(`/api/v1/cases/${priv.id}/follow-ups`, { kind: 'note', body: 'x' })).statusCode).toBe(404);
    expect((await u.patch(`/api/v1/cases/${priv.id}`, { subject: 'x', version: 1 })).statusCode).toBe(404);
    const ids = async (client: TestClient, url: string) =>
      ((await client.get(url)).json().items as CaseJson[]).map((c) => c.id);
    for (const url of [
      '/api/v1/cases?limit=200',
      `/api/v1/cases?caseNumber=${priv.caseNumber}`,
      `/api/v1/cases?customerId=${customerId}&limit=200`,
      '/api/v1/cases?q=matter',
      '/api/v1/cases?visibility=private',
      `/api/v1/customers/${customerId}/cases?limit=200`,
    ]) {
      const seen = await ids(u, url);
      expect(seen, url).not.toContain(priv.id);
      expect(await ids(full, url), url).toContain(priv.id);
    }
    expect(await ids(u, '/api/v1/cases?q=matter')).toEqual([pub.id]);
    // The unitary view counts only what the user may see.
    const unitary = (await u.get(`/api/v1/customers/${customerId}/cases?position=1`)).json();
    expect(unitary.item.visibility).toBe('public');
    const fullTotal = (await full.get(`/api/v1/customers/${customerId}/cases?position=1`)).json().total;
    expect(unitary.total).toBe(fullTotal - 1);
  });

  it('cases.viewPrivate: needed to make or create a private case; broadcasts about it require it', async () => {
    const c = await makeCase(full, customerId);
    const u = await t.user('agent', { privileges: without('cases.viewPrivate') });
    expect((await u.post('/api/v1/cases', { customerId, subject: 'x', visibility: 'private' })).statusCode).toBe(403);
    expect((await u.patch(`/api/v1/cases/${c.id}`, { visibility: 'private', version: 1 })).statusCode).toBe(403);
    expect((await full.patch(`/api/v1/cases/${c.id}`, { visibility: 'private', version: 1 })).statusCode).toBe(200);
    const [event] = await t.db.query<{ payload: { requires: string[] } }>(
      `SELECT payload FROM events WHERE record_id = $1 AND type = 'record.changed' ORDER BY id DESC LIMIT 1`,
      [c.id],
    );
    expect(event.payload.requires).toEqual(['cases.view', 'cases.viewPrivate']);
  });
});
