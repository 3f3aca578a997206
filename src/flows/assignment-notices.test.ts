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

describe('notifications that wait: @mentions in internal notes', () => {
  let t: TestApp;
  let author: TestClient;
  let grace: TestClient;
  let viewer: TestClient;
  let customerId: string;
  let graceHandle: string;
  let viewerEmailHandle: string;

  beforeAll(async () => {
    t = await startTestApp();
    author = await t.user('agent');
    grace = await t.user('agent');
    viewer = await t.user('supervisor');
    const users = t.ctx.services.users;
    const g = (await users.findRowById(grace.userId!))!;
    graceHandle = `${g.first_name}${g.last_name}`;
    const v = (await users.findRowById(viewer.userId!))!;
    viewerEmailHandle = v.email.split('@')[0];
    const c = await t.admin.post('/api/v1/customers', { firstName: 'Ada', lastName: 'Lovelace' });
    customerId = c.json().id;
  });
  afterAll(async () => t?.close());

  const mentions = async (as: TestClient): Promise<NotificationWire[]> =>
    ((await as.get('/api/v1/notifications')).json().items as (NotificationWire & { kind: string })[]).filter(
      (n) => n.kind === 'mention',
    );
  const newCase = async (body: Record<string, unknown> = {}) => {
    const k = await t.admin.post('/api/v1/cases', { customerId, subject: 'Refund', ...body });
    expect(k.statusCode, k.body).toBe(201);
    return k.json() as { id: string; caseNumber: number };
  };

  it('an internal note naming @FirstLast or @email-name tells those users, once, in its transaction', async () => {
    const kase = await newCase();
    const body = `@${graceHandle.toUpperCase()}, please check. cc @${viewerEmailHandle}. Mail ada@example.com, not @nobody-here. Again @${graceHandle}.`;
    const note = await author.post(`/api/v1/cases/${kase.id}/follow-ups`, { kind: 'note', body });
    expect(note.statusCode, note.body).toBe(201);
    const toGrace = await mentions(grace);
    expect(toGrace).toHaveLength(1);
    expect(toGrace[0]).toMatchObject({ recordId: kase.id, readAt: null });
    expect(toGrace[0].payload).toMatchObject({ caseNumber: kase.caseNumber, followUpId: note.json().id });
    expect(toGrace[0].title).toContain(`mentioned you on case ${kase.caseNumber}`);
    expect(await mentions(viewer)).toHaveLength(1);
    // The author mentioning themselves is not told.
    const a = (await t.ctx.services.users.findRowById(author.userId!))!;
    await author.post(`/api/v1/cases/${kase.id}/follow-ups`, { kind: 'note', body: `@${a.first_name}${a.last_name}` });
    expect(await mentions(author)).toHaveLength(0);
  });

  it('public follow-ups and customers’ messages mention nobody; a rolled-back note tells nobody', async () => {
    const kase = await newCase();
    const pub = await author.post(`/api/v1/cases/${kase.id}/follow-ups`, {
      kind: 'note',
      visibility: 'public',
      body: `Thanks @${graceHandle}`,
    });
    expect(pub.statusCode, pub.body).toBe(201);
    await t.ctx.services.cases.followUps.add(systemActor('email', 'email'), kase.id, {
      kind: 'email',
      direction: 'inbound',
      visibility: 'internal',
      body: `Dear @${graceHandle}`,
      author: { type: 'customer', id: customerId, name: 'Ada Lovelace' },
    });
    // A note refused for another reason (an unknown custom field) writes no notification either.
    const bad = await author.post(`/api/v1/cases/${kase.id}/follow-ups`, {
      kind: 'note',
      body: `@${graceHandle}`,
      customFields: { nope: 1 },
    });
    expect(bad.statusCode).toBe(400);
    expect((await mentions(grace)).filter((n) => n.recordId === kase.id)).toHaveLength(0);
  });

  it('a private case mentions only users who may see private cases', async () => {
    const kase = await newCase({ visibility: 'private' });
    const note = await t.admin.post(`/api/v1/cases/${kase.id}/follow-ups`, {
      kind: 'note',
      body: `@${graceHandle} and @${viewerEmailHandle}`,
    });
    expect(note.statusCode, note.body).toBe(201);
    expect((await mentions(grace)).filter((n) => n.recordId === kase.id)).toHaveLength(0);
    expect((await mentions(viewer)).filter((n) => n.recordId === kase.id)).toHaveLength(1);
  });
});
