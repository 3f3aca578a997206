import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestClient } from '../../../test/helpers.js';

const ids = (r: { json(): unknown }) => (r.json() as { items: { id: string }[] }).items.map((x) => x.id).sort();

describe('customer tags', () => {
  let t: TestApp;
  let agent: TestClient;
  beforeAll(async () => {
    t = await startTestApp({ checkResponses: true });
    agent = await t.user('agent');
  });
  afterAll(async () => {
    expect(t?.responseMismatches ?? []).toEqual([]);
    await t?.close();
  });

  const create = async (lastName: string, tags?: string[]) => {
    const res = await agent.post('/api/v1/customers', { firstName: 'Tess', lastName, ...(tags ? { tags } : {}) });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; tags: string[]; version: number };
  };

  it('sets tags on create and PATCH (versioned, in history, with the update event), refusing bad ones', async () => {
    const c = await create('Tagged', [' Gold ', 'GOLD', 'Late   payer']);
    expect(c.tags).toEqual(['gold', 'late payer']);
    const up = await agent.patch(`/api/v1/customers/${c.id}`, { tags: ['gold'], version: c.version });
    expect(up.statusCode).toBe(200);
    expect(up.json()).toMatchObject({ tags: ['gold'], version: c.version + 1 });
    expect((await agent.get(`/api/v1/customers/${c.id}`)).json().tags).toEqual(['gold']);
    const stale = await agent.patch(`/api/v1/customers/${c.id}`, { tags: [], version: c.version });
    expect(stale.statusCode).toBe(409);
    const history = (await agent.get(`/api/v1/customers/${c.id}/history`)).json().items;
    expect(history[0].changes).toEqual([{ field: 'tags', from: ['gold', 'late payer'], to: ['gold'] }]);
    const events = await t.db.query<{ type: string }>(
      `SELECT type FROM events WHERE record_id = $1 AND type = 'customer.updated'`,
      [c.id],
    );
    expect(events.length).toBe(1);
    for (const tags of [[' '], ['z'.repeat(41)], ['x,y']]) {
      const bad = await agent.patch(`/api/v1/customers/${c.id}`, { tags, version: c.version + 1 });
      expect(bad.statusCode, JSON.stringify(tags)).toBe(400);
      expect(bad.json().errors[0].field).toBe('tags');
    }
  });

  it('filters the list by every tag given and counts tags in use', async () => {
    const a = await create('Alpha', ['cust-x', 'cust-y']);
    const b = await create('Beta', ['cust-x']);
    expect(ids(await agent.get('/api/v1/customers?tag=cust-x'))).toEqual([a.id, b.id].sort());
    expect(ids(await agent.get('/api/v1/customers?tag=CUST-X&tag=cust-y'))).toEqual([a.id]);
    expect(ids(await agent.get('/api/v1/customers?tag=cust-x&q=Alpha'))).toEqual([a.id]);
    expect((await agent.get('/api/v1/customers?tag=a,b')).json().errors[0].field).toBe('tag');
    expect((await agent.get('/api/v1/customers/tags?q=cust-')).json().items).toEqual([
      { tag: 'cust-x', count: 2 },
      { tag: 'cust-y', count: 1 },
    ]);
    const noView = await t.user('agent', { privileges: ['cases.view'] });
    expect((await noView.get('/api/v1/customers/tags')).statusCode).toBe(403);
  });
});
