import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestClient } from '../../../test/helpers.js';
import { systemActor } from '../../http/actor.js';
import { makeCase, makeCustomer, walk } from './fixtures.test-helpers.js';

interface FollowUpJson {
  id: string;
  kind: string;
  body: string;
  visibility: string;
  direction: string | null;
  author: { type: string; id: string | null; name: string };
  email: Record<string, unknown> | null;
  createdAt: string;
}

describe('follow-ups', () => {
  let t: TestApp;
  let customerId: string;
  let agent: TestClient;
  beforeAll(async () => {
    t = await startTestApp();
    customerId = await makeCustomer(t);
    agent = await t.user('agent');
  });
  afterAll(async () => t?.close());

  it('adds follow-ups of every kind and lists them oldest or newest first, paginated', async () => {
    const c = await makeCase(agent, customerId);
    const kinds = ['note', 'call', 'chat', 'email', 'note', 'note', 'call'];
    const ids: string[] = [];
    for (const [i, kind] of kinds.entries()) {
      const res = await agent.post(`/api/v1/cases/${c.id}/follow-ups`, {
        kind,
        body: `Follow-up ${i}`,
        ...(i === 1 ? { visibility: 'public' } : {}),
      });
      expect(res.statusCode, res.body).toBe(201);
      ids.push(res.json().id);
    }
    const oldest = await walk<FollowUpJson>(agent, `/api/v1/cases/${c.id}/follow-ups`, 3);
    expect(oldest.map((f) => f.id)).toEqual(ids);
    expect(oldest[0]).toMatchObject({
      kind: 'note',
      body: 'Follow-up 0',
      visibility: 'internal',
      author: { type: 'user', id: agent.userId },
    });
    expect(oldest[1].visibility).toBe('public');
    const newest = await walk<FollowUpJson>(agent, `/api/v1/cases/${c.id}/follow-ups?order=newest`, 2);
    expect(newest.map((f) => f.id)).toEqual([...ids].reverse());
    const one = await agent.get(`/api/v1/cases/${c.id}/follow-ups/${ids[2]}`);
    expect(one.json().body).toBe('Follow-up 2');

    // The case view with its newest follow-ups in one call.
    const withFollowUps = (await agent.get(`/api/v1/cases/${c.id}?include=followUps`)).json();
    expect(withFollowUps.followUps.items.map((f: FollowUpJson) => f.id)).toEqual([...ids].reverse());
    expect(withFollowUps.followUps.nextCursor).toBeNull();
    // The case's history shows each follow-up being added.
    const history = (await agent.get(`/api/v1/cases/${c.id}/history?limit=200`)).json().items as {
      action: string;
      changes: { field: string; to: { id: string } }[];
    }[];
    const added = history.filter((h) => h.action === 'followUp').map((h) => h.changes[0].to.id);
    expect(added.reverse()).toEqual(ids);
  });

  it('answers the case view with the same follow-ups as the list, every field and time alike', async () => {
    const c = await makeCase(agent, customerId);
    await agent.post(`/api/v1/cases/${c.id}/follow-ups`, {
      kind: 'email',
      direction: 'inbound',
      body: 'Through the API',
      email: { from: 'ann@example.com', to: ['support@example.com'], subject: 'Printer' },
    });
    // More than a page, with times whose microseconds must be cut, not rounded, to milliseconds
    // (the fifth newest is at .015982 s: .015), and the JSON fields the API passes through.
    await t.db.query(
      `INSERT INTO case_follow_ups (case_id, kind, direction, visibility, body, author_type, author_id, author_name,
         channel, email, custom_fields, interaction, notified, created_at)
       SELECT $1, 'call', 'outbound', CASE WHEN g % 3 = 0 THEN 'public' ELSE 'internal' END, 'Call ' || g || E' "quoted"\n',
         'user', $2, 'Agent Ö', 'phone', NULL, jsonb_build_object('n', g, 'nested', jsonb_build_object('b', g % 2 = 0)),
         CASE WHEN g = 7 THEN '{"id": "x-1", "channel": "phone", "durationSeconds": 30, "disposition": null, "notes": "n", "transcript": false}'::jsonb END,
         CASE WHEN g = 9 THEN ARRAY['a@example.com', 'b@example.com'] ELSE '{}' END,
         timestamptz '2026-03-01 09:59:59.998999+00' + g * interval '1.000333 seconds'
       FROM generate_series(1, 55) g`,
      [c.id, agent.userId],
    );
    const view = await agent.get(`/api/v1/cases/${c.id}?include=followUps`);
    expect(view.statusCode, view.body).toBe(200);
    const listed = (await agent.get(`/api/v1/cases/${c.id}/follow-ups?order=newest&limit=50`)).json();
    expect(view.json().followUps.items).toEqual(listed.items);
    expect(view.json().followUps.items).toHaveLength(50);
    expect(view.json().followUps.items[4]).toMatchObject({ createdAt: '2026-03-01T10:00:51.015Z' });
    // The view's cursor goes on where the list's does.
    const next = view.json().followUps.nextCursor as string;
    expect(next).toBe(listed.nextCursor);
    const rest = (await agent.get(`/api/v1/cases/${c.id}/follow-ups?order=newest&cursor=${next}`)).json();
    expect(rest.items.map((f: FollowUpJson) => f.body)).toEqual([
      'Call 5 "quoted"\n',
      'Call 4 "quoted"\n',
      'Call 3 "quoted"\n',
      'Call 2 "quoted"\n',
      'Call 1 "quoted"\n',
      'Through the API',
    ]);
    const { followUps, ...caseOnly } = view.json();
    expect(followUps).toBeDefined();
    expect(caseOnly).toEqual((await agent.get(`/api/v1/cases/${c.id}`)).json());

    // A case without follow-ups, a private case, and a case that does not exist.
    const bare = await makeCase(agent, customerId);
    expect((await agent.get(`/api/v1/cases/${bare.id}?include=followUps`)).json().followUps).toEqual({
      items: [],
      nextCursor: null,
    });
    const supervisor = await t.user('supervisor');
    const secret = (
      await supervisor.post('/api/v1/cases', { customerId, subject: 'Secret', visibility: 'private' })
    ).json();
    expect((await supervisor.get(`/api/v1/cases/${secret.id}?include=followUps`)).statusCode).toBe(200);
    expect((await agent.get(`/api/v1/cases/${secret.id}?include=followUps`)).statusCode).toBe(404);
    const missing = '00000000-0000-4000-8000-000000000000';
    expect((await agent.get(`/api/v1/cases/${missing}?include=followUps`)).statusCode).toBe(404);
    expect((await agent.get('/api/v1/cases/not-a-uuid?include=followUps')).statusCode).toBe(404);
  });

  it('keeps the email headers of an email follow-up', async () => {
    const c = await makeCase(agent, customerId);
    const email = {
      from: 'ann@example.com',
      to: ['support@example.com'],
      cc: ['boss@example.com'],
      bcc: ['audit@example.com'],
      subject: 'Re: printer',
      messageId: '<abc@example.com>',
    };
    const res = await agent.post(`/api/v1/cases/${c.id}/follow-ups`, {
      kind: 'email',
      direction: 'outbound',
      body: 'We are on it',
      email,
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ kind: 'email', direction: 'outbound', email });
    const bad = await agent.post(`/api/v1/cases/${c.id}/follow-ups`, { kind: 'note', body: 'x', email });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('email');
    const empty = await agent.post(`/api/v1/cases/${c.id}/follow-ups`, { kind: 'note', body: '  ' });
    expect(empty.statusCode).toBe(400);
    expect((await agent.post(`/api/v1/cases/${c.id}/follow-ups`, { kind: 'fax', body: 'x' })).statusCode).toBe(400);
  });

  it('is immutable: no route changes or removes one, and the table refuses SQL UPDATE and DELETE', async () => {
    const c = await makeCase(agent, customerId);
    const fu = (await agent.post(`/api/v1/cases/${c.id}/follow-ups`, { kind: 'note', body: 'Original' })).json();
    const url = `/api/v1/cases/${c.id}/follow-ups/${fu.id}`;
    expect((await agent.patch(url, { body: 'Changed' })).statusCode).toBe(405);
    expect((await agent.put(url, { body: 'Changed' })).statusCode).toBe(405);
    expect((await agent.delete(url)).statusCode).toBe(405);
    expect((await t.admin.delete(url)).statusCode).toBe(405);
    await expect(t.db.query(`UPDATE case_follow_ups SET body = 'Changed' WHERE id = $1`, [fu.id])).rejects.toThrow(
      /append-only/,
    );
    await expect(t.db.query('DELETE FROM case_follow_ups WHERE id = $1', [fu.id])).rejects.toThrow(/append-only/);
    expect((await agent.get(url)).json().body).toBe('Original');
    // A follow-up leaves only with its case.
    const supervisor = await t.user('supervisor');
    expect((await supervisor.delete(`/api/v1/cases/${c.id}`)).statusCode).toBe(204);
    expect(await t.db.query('SELECT 1 FROM case_follow_ups WHERE id = $1', [fu.id])).toHaveLength(0);
  });

  it('adds a follow-up inside another module’s transaction, or not at all', async () => {
    const c = await makeCase(agent, customerId);
    const actor = systemActor('email', 'mail gateway');
    await expect(
      t.db.transaction(async (tx) => {
        await t.ctx.services.cases.addFollowUp(actor, c.id, { kind: 'email', body: 'lost', direction: 'inbound' }, tx);
        throw new Error('the caller fails after adding');
      }),
    ).rejects.toThrow('the caller fails');
    expect((await agent.get(`/api/v1/cases/${c.id}/follow-ups`)).json().items).toEqual([]);
    const added = await t.db.transaction((tx) =>
      t.ctx.services.cases.addFollowUp(
        actor,
        c.id,
        {
          kind: 'email',
          body: 'kept',
          direction: 'inbound',
          visibility: 'public',
          author: { type: 'customer', id: customerId, name: 'Casey Customer' },
        },
        tx,
      ),
    );
    expect(added.followUp.author).toEqual({ type: 'customer', id: customerId, name: 'Casey Customer' });
    const items = (await agent.get(`/api/v1/cases/${c.id}/follow-ups`)).json().items as FollowUpJson[];
    expect(items.map((f) => f.body)).toEqual(['kept']);
  });

  describe('reopening a closed case (K6)', () => {
    async function setPolicy(policy: string, days?: number) {
      const res = await t.admin.put('/api/v1/case-settings', { reopen: { policy, ...(days ? { days } : {}) } });
      expect(res.statusCode, res.body).toBe(200);
    }
    async function closedCase(daysAgo = 0) {
      const c = await makeCase(agent, customerId);
      const res = await agent.patch(`/api/v1/cases/${c.id}`, { status: 'closed', version: 1 });
      expect(res.statusCode).toBe(200);
      if (daysAgo) {
        await t.db.query(`UPDATE cases SET closed_at = now() - $2::int * interval '1 day' WHERE id = $1`, [
          c.id,
          daysAgo,
        ]);
      }
      return c;
    }
    const inbound = (id: string, extra: Record<string, unknown> = {}) =>
      agent.post(`/api/v1/cases/${id}/follow-ups`, {
        kind: 'email',
        direction: 'inbound',
        body: 'It broke again',
        ...extra,
      });

    it('never: the case stays closed', async () => {
      await setPolicy('never');
      const c = await closedCase();
      const res = await inbound(c.id);
      expect(res.json().reopened).toBe(false);
      expect((await agent.get(`/api/v1/cases/${c.id}`)).json()).toMatchObject({ status: 'closed', isOpen: false });
    });

    it('always: any customer-side activity reopens it, keeping its number and history', async () => {
      await setPolicy('always');
      const c = await closedCase(400);
      const res = await inbound(c.id);
      expect(res.json().reopened).toBe(true);
      const after = (await agent.get(`/api/v1/cases/${c.id}`)).json();
      expect(after).toMatchObject({ status: 'open', isOpen: true, closedAt: null, caseNumber: c.caseNumber });
      const history = (await agent.get(`/api/v1/cases/${c.id}/history`)).json().items as {
        action: string;
        changes: { field: string; from: unknown; to: unknown }[];
      }[];
      expect(history.map((h) => h.action)).toEqual(['reopen', 'followUp', 'update', 'create']);
      expect(history[0].changes).toContainEqual({ field: 'status', from: 'closed', to: 'open' });
      // An agent's internal note is not customer-side activity; reopens=true says it is (portal, call-back).
      const again = await closedCase();
      const note = await agent.post(`/api/v1/cases/${again.id}/follow-ups`, { kind: 'note', body: 'FYI' });
      expect(note.json().reopened).toBe(false);
      const flagged = await agent.post(`/api/v1/cases/${again.id}/follow-ups`, {
        kind: 'call',
        body: 'Customer called back',
        reopens: true,
      });
      expect(flagged.json().reopened).toBe(true);
      expect((await inbound(again.id, { reopens: false })).json().reopened).toBe(false);
    });

    it('withinDays: reopens only within N days of closing', async () => {
      await setPolicy('withinDays', 7);
      const recent = await closedCase(3);
      const old = await closedCase(10);
      expect((await inbound(recent.id)).json().reopened).toBe(true);
      expect((await inbound(old.id)).json().reopened).toBe(false);
      expect((await agent.get(`/api/v1/cases/${old.id}`)).json().status).toBe('closed');
      expect(await t.ctx.services.caseSettings.shouldReopen({ isOpen: false, closedAt: new Date() })).toBe(true);
      expect(
        await t.ctx.services.caseSettings.shouldReopen({
          isOpen: false,
          closedAt: new Date(Date.now() - 8 * 86400000),
        }),
      ).toBe(false);
      const bad = await t.admin.put('/api/v1/case-settings', { reopen: { policy: 'withinDays' } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().errors[0].field).toBe('reopen.days');
    });
  });
});
