import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../http/actor.js';
import { startTestApp, type TestApp, type TestClient } from '../../test/helpers.js';

interface NotificationWire {
  id: string;
  kind: string;
  recordId: string | null;
  title: string;
  payload: { caseNumber?: number };
  readAt: string | null;
}

describe('notifications that wait: case assignment', () => {
  let t: TestApp;
  let alice: TestClient;
  let bob: TestClient;
  let customerId: string;

  beforeAll(async () => {
    t = await startTestApp();
    alice = await t.user('agent');
    bob = await t.user('agent');
    const c = await t.admin.post('/api/v1/customers', { firstName: 'Ada', lastName: 'Lovelace' });
    customerId = c.json().id;
  });
  afterAll(async () => t?.close());

  const inbox = async (as: TestClient, query = ''): Promise<NotificationWire[]> => {
    const res = await as.get(`/api/v1/notifications${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json().items;
  };
  const unread = async (as: TestClient): Promise<number> =>
    (await as.get('/api/v1/notifications/unread-count')).json().unread;

  it('an assignment made while the agent is offline waits in their inbox; reassignment tells both owners', async () => {
    // No console of Alice's is open: nothing is listening.
    const k = await t.admin.post('/api/v1/cases', { customerId, subject: 'Billing error', ownerId: alice.userId });
    expect(k.statusCode, k.body).toBe(201);
    const kase = k.json() as { id: string; caseNumber: number; version: number };

    const mine = await inbox(alice);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ kind: 'case.assigned', recordId: kase.id, readAt: null });
    expect(mine[0].payload.caseNumber).toBe(kase.caseNumber);
    expect(await unread(alice)).toBe(1);

    const moved = await t.admin.patch(`/api/v1/cases/${kase.id}`, { ownerId: bob.userId, version: kase.version });
    expect(moved.statusCode, moved.body).toBe(200);
    expect((await inbox(bob)).map((n) => n.kind)).toEqual(['case.assigned']);
    expect((await inbox(alice)).map((n) => n.kind)).toEqual(['case.unassigned', 'case.assigned']);

    // Taking a case yourself notifies nobody but the previous owner.
    const taken = await alice.patch(`/api/v1/cases/${kase.id}`, {
      ownerId: alice.userId,
      version: moved.json().version,
    });
    expect(taken.statusCode, taken.body).toBe(200);
    expect(await inbox(alice)).toHaveLength(2);
    expect((await inbox(bob)).map((n) => n.kind)).toEqual(['case.unassigned', 'case.assigned']);
  });

  it('marks read one at a time or all; keyset pages; only my own', async () => {
    const all = await inbox(alice);
    const first = await alice.get('/api/v1/notifications?limit=1');
    expect(first.json().items).toHaveLength(1);
    const second = await alice.get(`/api/v1/notifications?limit=1&cursor=${first.json().nextCursor}`);
    expect(second.json().items[0].id).toBe(all[1].id);

    expect((await bob.post(`/api/v1/notifications/${all[0].id}/read`, {})).statusCode).toBe(404);
    const one = await alice.post(`/api/v1/notifications/${all[0].id}/read`, {});
    expect(one.statusCode, one.body).toBe(200);
    expect(await unread(alice)).toBe(all.length - 1);
    expect((await inbox(alice, '?unread=true')).map((n) => n.id)).not.toContain(all[0].id);
    expect((await alice.post('/api/v1/notifications/read-all', {})).json().marked).toBe(all.length - 1);
    expect(await unread(alice)).toBe(0);
    expect(await unread(bob)).toBe(2);
    expect((await alice.get('/api/v1/notifications?cursor=nonsense')).statusCode).toBe(400);
  });

  it('never tells a user about a private case they may not see', async () => {
    const k = await t.admin.post('/api/v1/cases', {
      customerId,
      subject: 'Confidential',
      visibility: 'private',
      ownerId: alice.userId,
    });
    expect(k.statusCode, k.body).toBe(201);
    expect((await inbox(alice)).map((n) => n.recordId)).not.toContain(k.json().id);
  });

  it("a customer's reply on my case notifies me; my own notes do not", async () => {
    const k = await t.admin.post('/api/v1/cases', { customerId, subject: 'Late delivery', ownerId: bob.userId });
    const kase = k.json() as { id: string; caseNumber: number };
    await bob.post('/api/v1/notifications/read-all', {});
    const note = await bob.post(`/api/v1/cases/${kase.id}/follow-ups`, { kind: 'note', body: 'Called the carrier' });
    expect(note.statusCode, note.body).toBe(201);
    expect(await unread(bob)).toBe(0);
    // The path email ingestion and the Support Center take: a follow-up written by the customer.
    await t.ctx.services.cases.followUps.add(systemActor('email', 'email'), kase.id, {
      kind: 'email',
      direction: 'inbound',
      visibility: 'public',
      body: 'Where is my parcel?',
      author: { type: 'customer', id: customerId, name: 'Ada Lovelace' },
    });
    const mine = await inbox(bob, '?unread=true');
    expect(mine.map((n) => [n.kind, n.recordId])).toEqual([['case.reply', kase.id]]);
    expect(mine[0].title).toContain('Ada Lovelace');
  });
});
