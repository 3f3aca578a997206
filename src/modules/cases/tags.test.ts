import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestClient } from '../../../test/helpers.js';
import { makeCase, makeCustomer, type CaseJson } from './fixtures.test-helpers.js';

type Tagged = CaseJson & { tags: string[] };
const ids = (r: { json(): unknown }) => (r.json() as { items: { id: string }[] }).items.map((x) => x.id).sort();

describe('case tags and bulk actions', () => {
  let t: TestApp;
  let customerId: string;
  let agent: TestClient;
  let supervisor: TestClient;
  let agentId: string;
  beforeAll(async () => {
    t = await startTestApp({ checkResponses: true });
    customerId = await makeCustomer(t);
    agent = await t.user('agent');
    supervisor = await t.user('supervisor');
    agentId = (await agent.get('/api/v1/me')).json().id;
  });
  afterAll(async () => {
    expect(t?.responseMismatches ?? []).toEqual([]);
    await t?.close();
  });

  it('normalises tags on create and update, records them in history, and refuses bad ones naming the field', async () => {
    const c = (await makeCase(agent, customerId, { tags: ['  VIP ', 'vip', 'Billing   issue'] })) as Tagged;
    expect(c.tags).toEqual(['vip', 'billing issue']);
    const up = await agent.patch(`/api/v1/cases/${c.id}`, { tags: ['vip', 'Escalated'], version: c.version });
    expect(up.statusCode).toBe(200);
    expect(up.json()).toMatchObject({ tags: ['vip', 'escalated'], version: 2 });
    // The same tags again change nothing.
    const same = await agent.patch(`/api/v1/cases/${c.id}`, { tags: ['VIP', 'escalated'], version: 2 });
    expect(same.json().version).toBe(2);
    const stale = await agent.patch(`/api/v1/cases/${c.id}`, { tags: [], version: 1 });
    expect(stale.statusCode).toBe(409);
    const history = (await agent.get(`/api/v1/cases/${c.id}/history`)).json().items;
    expect(history[0].changes).toEqual([{ field: 'tags', from: ['vip', 'billing issue'], to: ['vip', 'escalated'] }]);
    for (const tags of [[''], ['x'.repeat(41)], ['a,b'], Array.from({ length: 21 }, (_, i) => `t${i}`)]) {
      const bad = await agent.patch(`/api/v1/cases/${c.id}`, { tags, version: 2 });
      expect(bad.statusCode, JSON.stringify(tags)).toBe(400);
      expect(bad.json().errors[0].field).toBe('tags');
      expect(bad.json().errors[0].message).toMatch(/tag|characters|comma/);
    }
    const badCreate = await agent.post('/api/v1/cases', { customerId, subject: 'x', tags: ['   '] });
    expect(badCreate.statusCode).toBe(400);
    expect(badCreate.json().errors[0]).toEqual({ field: 'tags', message: 'Tags: a tag cannot be empty.' });
  });

  it('filters the list by every tag given, and counts tags without leaking private cases', async () => {
    const cust = await makeCustomer(t, 'Tagfilter');
    const a = await makeCase(agent, cust, { tags: ['filter-a', 'filter-b'] });
    const b = await makeCase(agent, cust, { tags: ['filter-a'] });
    const p = await makeCase(supervisor, cust, { tags: ['filter-a', 'secret-tag'], visibility: 'private' });
    expect(ids(await agent.get('/api/v1/cases?tag=filter-a'))).toEqual([a.id, b.id].sort());
    expect(ids(await agent.get('/api/v1/cases?tag=FILTER-A&tag=filter-b'))).toEqual([a.id]);
    expect(ids(await supervisor.get('/api/v1/cases?tag=filter-a'))).toEqual([a.id, b.id, p.id].sort());
    const bad = await agent.get(`/api/v1/cases?tag=${'y'.repeat(41)}`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('tag');

    const agentCounts = (await agent.get('/api/v1/cases/tags?q=filter')).json().items;
    expect(agentCounts).toEqual([
      { tag: 'filter-a', count: 2 },
      { tag: 'filter-b', count: 1 },
    ]);
    expect((await agent.get('/api/v1/cases/tags?q=secret')).json().items).toEqual([]);
    expect((await supervisor.get('/api/v1/cases/tags?q=FILTER')).json().items).toEqual([
      { tag: 'filter-a', count: 3 },
      { tag: 'filter-b', count: 1 },
    ]);
    expect((await supervisor.get('/api/v1/cases/tags?q=secret')).json().items).toEqual([
      { tag: 'secret-tag', count: 1 },
    ]);
    expect((await t.anonymous.get('/api/v1/cases/tags')).statusCode).toBe(401);
  });

  it('bulk: assigns, tags, sets status and priority on many cases, through the update (history, events, webhooks)', async () => {
    await t.admin.post('/api/v1/webhooks', { url: 'https://hooks.example.test/x', events: ['*'] });
    const cust = await makeCustomer(t, 'Bulk');
    const a = await makeCase(agent, cust);
    const b = await makeCase(agent, cust, { tags: ['bulk-tag'] });
    const res = await supervisor.post('/api/v1/cases/bulk', { ids: [a.id, b.id, a.id], action: { assign: agentId } });
    expect(res.statusCode).toBe(200);
    expect(res.json().changed).toBe(2);
    expect(res.json().items.map((r: { id: string; case: CaseJson }) => [r.id, r.case.ownerId])).toEqual([
      [a.id, agentId],
      [b.id, agentId],
    ]);
    const tagged = await agent.post('/api/v1/cases/bulk', { ids: [a.id, b.id], action: { addTag: ' Bulk-Tag ' } });
    expect(tagged.statusCode).toBe(200);
    expect(tagged.json().items.map((r: { changed: boolean; case: Tagged }) => [r.changed, r.case.tags])).toEqual([
      [true, ['bulk-tag']],
      [false, ['bulk-tag']],
    ]);
    expect(ids(await agent.get('/api/v1/cases?tag=bulk-tag'))).toEqual([a.id, b.id].sort());
    const st = await agent.post('/api/v1/cases/bulk', { ids: [a.id, b.id], action: { status: 'closed' } });
    expect(st.statusCode).toBe(200);
    const pr = await agent.post('/api/v1/cases/bulk', { ids: [a.id], action: { priority: 'high' } });
    expect(pr.json().items[0].case).toMatchObject({ priority: 'high', status: 'closed', isOpen: false });
    const rm = await agent.post('/api/v1/cases/bulk', { ids: [b.id], action: { removeTag: 'BULK-TAG' } });
    expect(rm.json().items[0].case.tags).toEqual([]);

    const history = (await agent.get(`/api/v1/cases/${a.id}/history`)).json().items;
    expect(history.map((h: { changes: { field: string }[] }) => h.changes.map((c) => c.field).join())).toEqual([
      'priority',
      'status,closedAt',
      'tags',
      'ownerId',
      expect.any(String),
    ]);
    const events = await t.db.query<{ type: string }>(
      `SELECT type FROM events WHERE record_id = $1 AND type = 'record.changed' ORDER BY id`,
      [a.id],
    );
    expect(events.length).toBe(5);
    const hooks = await t.db.query<{ type: string }>(`SELECT type FROM webhook_events WHERE body LIKE $1 ORDER BY id`, [
      `%${a.id}%`,
    ]);
    expect(hooks.map((h) => h.type)).toEqual([
      'case.created',
      'case.updated',
      'case.assigned',
      'case.updated',
      'case.updated',
      'case.closed',
      'case.updated',
    ]);
  });

  it('bulk is all or nothing: a missing, private or forbidden case names itself and nothing changes', async () => {
    const cust = await makeCustomer(t, 'Rollback');
    const a = await makeCase(agent, cust);
    const p = await makeCase(supervisor, cust, { visibility: 'private' });
    const missing = '00000000-0000-4000-8000-000000000000';
    const before = (await agent.get(`/api/v1/cases/${a.id}`)).json();

    const r1 = await agent.post('/api/v1/cases/bulk', { ids: [a.id, missing], action: { addTag: 'never' } });
    expect(r1.statusCode).toBe(404);
    expect(r1.json().errors).toEqual([{ field: 'ids[1]', message: `${missing}: Case was not found` }]);
    expect(r1.json().detail).toContain('Nothing was changed');
    // The why on its own, as a sentence: the console puts the case number people see in front of it.
    expect(r1.json()).toMatchObject({ failedId: missing, reason: 'Case was not found.' });

    const r2 = await agent.post('/api/v1/cases/bulk', { ids: [a.id, p.id], action: { assign: agentId } });
    expect(r2.statusCode).toBe(404);
    expect(r2.json().errors[0].field).toBe('ids[1]');

    const viewer = await t.user('agent', { privileges: ['cases.view', 'cases.changeStatus'] });
    const r3 = await viewer.post('/api/v1/cases/bulk', { ids: [a.id], action: { addTag: 'never' } });
    expect(r3.statusCode).toBe(403);
    expect(r3.json().errors[0].field).toBe('ids[0]');
    expect(r3.json().reason).toMatch(/^[A-Z].*privilege.*\.$/);

    const r4 = await agent.post('/api/v1/cases/bulk', { ids: [a.id], action: { status: 'nope' } });
    expect(r4.statusCode).toBe(400);
    expect(r4.json().errors[0].message).toContain('unknown status');
    expect(r4.json().reason).toMatch(/^Status.*unknown status.*\.$/);

    expect((await agent.get(`/api/v1/cases/${a.id}`)).json()).toEqual(before);
    expect(ids(await supervisor.get('/api/v1/cases?tag=never'))).toEqual([]);
  });

  it('bulk refuses bad input naming the field', async () => {
    const cust = await makeCustomer(t, 'Badbulk');
    const a = await makeCase(agent, cust);
    const bodies: [unknown, string][] = [
      [{ ids: [], action: { addTag: 'x' } }, 'ids'],
      [{ ids: Array(501).fill(a.id), action: { addTag: 'x' } }, 'ids'],
      [{ ids: [a.id], action: {} }, 'action'],
      [{ ids: [a.id], action: { addTag: 'x', status: 'open' } }, 'action'],
      [{ ids: [a.id], action: { addTag: '' } }, 'action.addTag'],
      [{ ids: [a.id], action: { paint: 'red' } }, 'action.paint'],
      [{ ids: [a.id], action: { assign: '00000000-0000-4000-8000-000000000000' } }, 'ids[0]'],
    ];
    for (const [body, field] of bodies) {
      const res = await agent.post('/api/v1/cases/bulk', body as Record<string, unknown>);
      expect(res.statusCode, JSON.stringify(body).slice(0, 200)).toBe(400);
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
    }
  });
});
