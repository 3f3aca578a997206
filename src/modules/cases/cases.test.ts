import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestClient } from '../../../test/helpers.js';
import { makeCase, makeCustomer, type CaseJson } from './fixtures.test-helpers.js';

describe('cases', () => {
  let t: TestApp;
  let customerId: string;
  let agent: TestClient;
  beforeAll(async () => {
    t = await startTestApp();
    customerId = await makeCustomer(t);
    agent = await t.user('agent');
  });
  afterAll(async () => t?.close());

  it('creates a case with defaults and a case number, and finds it by number', async () => {
    const c = await makeCase(agent, customerId, { description: 'Smoke everywhere', channel: 'phone' });
    expect(c).toMatchObject({
      customerId,
      subject: 'Printer on fire',
      status: 'open',
      isOpen: true,
      priority: 'normal',
      severity: 'minor',
      visibility: 'public',
      ownerId: null,
      channel: 'phone',
      closedAt: null,
      version: 1,
    });
    expect(c.caseNumber).toBeGreaterThanOrEqual(100001);
    const byNumber = await agent.get(`/api/v1/cases?caseNumber=${c.caseNumber}`);
    expect(byNumber.statusCode).toBe(200);
    expect(byNumber.json().items.map((x: CaseJson) => x.id)).toEqual([c.id]);
    expect((await agent.get(`/api/v1/cases?caseNumber=999999999`)).json().items).toEqual([]);
    const got = await agent.get(`/api/v1/cases/${c.id}`);
    expect(got.json()).toEqual(c);
    expect(got.headers.etag).toBe('"1"');
  });

  it('gives 50 concurrent creates 50 distinct case numbers', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => agent.post('/api/v1/cases', { customerId, subject: `Concurrent ${i}` })),
    );
    expect(results.map((r) => r.statusCode)).toEqual(Array(50).fill(201));
    const numbers = results.map((r) => (r.json() as CaseJson).caseNumber);
    expect(new Set(numbers).size).toBe(50);
    for (const n of numbers.slice(0, 5)) {
      const found = (await agent.get(`/api/v1/cases?caseNumber=${n}`)).json().items as CaseJson[];
      expect(found).toHaveLength(1);
      expect(found[0].caseNumber).toBe(n);
    }
  });

  it('tolerates gaps: a failed create loses its number, the next one still works', async () => {
    const a = await makeCase(agent, customerId);
    const bad = await agent.post('/api/v1/cases', { customerId, subject: 'x', priority: 'nope' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('priority');
    const b = await makeCase(agent, customerId);
    expect(b.caseNumber).toBeGreaterThan(a.caseNumber);
  });

  it('refuses bad input with 4xx naming the field, writing nothing', async () => {
    const cases = [
      [{ customerId: '00000000-0000-4000-8000-000000000000', subject: 'x' }, 'customerId'],
      [{ customerId: 'not-a-uuid', subject: 'x' }, 'customerId'],
      [{ customerId, subject: '' }, 'subject'],
      [{ customerId, subject: 'x', severity: 'catastrophic' }, 'severity'],
      [{ customerId, subject: 'x', ownerId: '00000000-0000-4000-8000-000000000000' }, 'ownerId'],
      [{ customerId, subject: 'x', channel: 'fax' }, 'channel'],
      [{ customerId, subject: 'x', bogus: 1 }, 'bogus'],
      [{ customerId, subject: 'x', customFields: { nope: 1 } }, 'customFields.nope'],
    ] as const;
    for (const [body, field] of cases) {
      const res = await agent.post('/api/v1/cases', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect((await agent.get('/api/v1/cases/not-a-uuid')).statusCode).toBe(404);
    expect((await agent.get('/api/v1/cases/00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
  });

  it('changes fields with the version read; a stale version gets 409 and the current record', async () => {
    const c = await makeCase(agent, customerId);
    expect((await agent.patch(`/api/v1/cases/${c.id}`, { subject: 'No version' })).statusCode).toBe(428);
    const ok = await agent.patch(
      `/api/v1/cases/${c.id}`,
      { subject: 'Renamed', priority: 'high' },
      { 'if-match': '"1"' },
    );
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ subject: 'Renamed', priority: 'high', version: 2 });
    const stale = await agent.patch(`/api/v1/cases/${c.id}`, { subject: 'Again', version: 1 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().current).toMatchObject({ subject: 'Renamed', version: 2 });
  });

  it('records status changes (and closing) in the history, field by field', async () => {
    const c = await makeCase(agent, customerId);
    const closed = await agent.patch(`/api/v1/cases/${c.id}`, { status: 'closed', version: 1 });
    expect(closed.statusCode).toBe(200);
    expect(closed.json()).toMatchObject({ status: 'closed', isOpen: false });
    expect(closed.json().closedAt).not.toBeNull();
    const reopened = await agent.patch(`/api/v1/cases/${c.id}`, { status: 'open', version: 2 });
    expect(reopened.json()).toMatchObject({ status: 'open', isOpen: true, closedAt: null });
    const history = (await agent.get(`/api/v1/cases/${c.id}/history`)).json().items as {
      action: string;
      actor: { id: string };
      changes: { field: string; from: unknown; to: unknown }[];
    }[];
    expect(history.map((h) => h.action)).toEqual(['update', 'update', 'create']);
    expect(history[1].changes).toContainEqual({ field: 'status', from: 'open', to: 'closed' });
    expect(history[0].changes).toContainEqual({ field: 'status', from: 'closed', to: 'open' });
    expect(history[0].actor.id).toBe(agent.userId);
    expect(history[2].changes).toContainEqual({ field: 'caseNumber', from: null, to: c.caseNumber });
  });

  it('deletes a case with cases.delete; it is gone, its history stays', async () => {
    const c = await makeCase(agent, customerId);
    expect((await agent.delete(`/api/v1/cases/${c.id}`)).statusCode).toBe(403);
    const supervisor = await t.user('supervisor');
    expect((await supervisor.delete(`/api/v1/cases/${c.id}`)).statusCode).toBe(204);
    expect((await supervisor.get(`/api/v1/cases/${c.id}`)).statusCode).toBe(404);
    const rows = await t.db.query<{ action: string }>(
      `SELECT action FROM history WHERE record_type = 'case' AND record_id = $1 ORDER BY id`,
      [c.id],
    );
    expect(rows.map((r) => r.action)).toEqual(['create', 'delete']);
  });

  it('emits case.assigned for the new owner only, and record.changed for every change', async () => {
    const owner = await t.user('agent');
    const other = await t.user('agent');
    const c = await makeCase(agent, customerId);
    const before = (await t.db.query<{ max: number }>('SELECT coalesce(max(id), 0) AS max FROM events'))[0].max;
    const res = await agent.patch(`/api/v1/cases/${c.id}`, { ownerId: owner.userId, version: 1 });
    expect(res.statusCode).toBe(200);
    // Unchanged owner: no new assignment.
    await agent.patch(`/api/v1/cases/${c.id}`, { subject: 'Still theirs', version: 2 });
    const events = await t.db.query<{ type: string; user_id: string | null; record_id: string; payload: object }>(
      'SELECT type, user_id, record_id, payload FROM events WHERE id > $1 ORDER BY id',
      [before],
    );
    const assigned = events.filter((e) => e.type === 'case.assigned');
    expect(assigned).toHaveLength(1);
    expect(assigned[0]).toMatchObject({ user_id: owner.userId, record_id: c.id });
    expect(assigned[0].payload).toMatchObject({ caseNumber: c.caseNumber, subject: 'Printer on fire' });
    expect(events.some((e) => e.user_id === other.userId)).toBe(false);
    const changed = events.filter((e) => e.type === 'record.changed' && e.record_id === c.id);
    expect(changed).toHaveLength(2);
    expect(changed.every((e) => e.user_id === null)).toBe(true);
    expect(changed[0].payload).toMatchObject({ requires: 'cases.view' });

    // Reassigning to another agent notifies that agent; assigning on create too.
    await agent.patch(`/api/v1/cases/${c.id}`, { ownerId: other.userId, version: 3 });
    const created = await makeCase(agent, customerId, { ownerId: owner.userId });
    const later = await t.db.query<{ user_id: string; record_id: string }>(
      `SELECT user_id, record_id FROM events WHERE id > $1 AND type = 'case.assigned' ORDER BY id`,
      [before],
    );
    expect(later.slice(1)).toEqual([
      { user_id: other.userId, record_id: c.id },
      { user_id: owner.userId, record_id: created.id },
    ]);
  });

  it('rejects an unknown status filter, and answers "my open cases"', async () => {
    expect((await agent.get('/api/v1/cases?status=nonsense')).statusCode).toBe(400);
    const me = await t.user('agent');
    const mine = await makeCase(me, customerId, { ownerId: me.userId });
    const closed = await makeCase(me, customerId, { ownerId: me.userId });
    await me.patch(`/api/v1/cases/${closed.id}`, { status: 'closed', version: 1 });
    await makeCase(me, customerId);
    const list = (await me.get('/api/v1/cases?ownerId=me&status=open')).json().items as CaseJson[];
    expect(list.map((c) => c.id)).toEqual([mine.id]);
  });

  it('gives a case in its lists exactly as on its own, times cut (not rounded) to the millisecond', async () => {
    const own = await makeCustomer(t, 'Listed');
    const open = await makeCase(agent, own, { ownerId: agent.userId, tags: ['vip'] });
    const closed = await makeCase(agent, own, { status: 'closed' });
    // Times with microseconds that rounding would carry into the next millisecond, or second.
    await t.db.query(
      `UPDATE cases SET opened_at = timestamptz '2026-02-28 23:59:59.999999+00' - id_order * interval '1 day',
         created_at = timestamptz '2026-03-01 10:00:00.000999+00', updated_at = timestamptz '2026-03-01 10:00:00.1235+00',
         closed_at = CASE WHEN is_open THEN NULL ELSE timestamptz '2026-03-02 00:00:00.0005+00' END
       FROM (VALUES ($1::uuid, 1), ($2::uuid, 2)) v(case_id, id_order) WHERE id = v.case_id`,
      [open.id, closed.id],
    );
    const single = await Promise.all(
      [open, closed].map(async (c) => (await agent.get(`/api/v1/cases/${c.id}`)).json()),
    );
    expect(single[0]).toMatchObject({
      openedAt: '2026-02-27T23:59:59.999Z',
      createdAt: '2026-03-01T10:00:00.000Z',
      updatedAt: '2026-03-01T10:00:00.123Z',
      closedAt: null,
    });
    expect(single[1].closedAt).toBe('2026-03-02T00:00:00.000Z');
    const lists = [
      `/api/v1/cases?customerId=${own}`,
      `/api/v1/customers/${own}/cases`,
      `/api/v1/cases?customerId=${own}&sort=caseNumber`,
    ];
    for (const url of lists) expect((await agent.get(url)).json().items, url).toEqual(single);
    const mine = (await agent.get('/api/v1/cases?ownerId=me&status=open')).json().items as CaseJson[];
    expect(mine.find((c) => c.id === open.id)).toEqual(single[0]);
  });

  it('shows the customer record its cases as a table and one at a time', async () => {
    const cust = await makeCustomer(t, 'Unitary');
    const made: CaseJson[] = [];
    for (let i = 0; i < 5; i++) made.push(await makeCase(agent, cust, { subject: `Case ${i}` }));
    const newestFirst = [...made].reverse().map((c) => c.id);
    const table = await agent.get(`/api/v1/customers/${cust}/cases?limit=3`);
    expect(table.statusCode).toBe(200);
    expect(table.json().items.map((c: CaseJson) => c.id)).toEqual(newestFirst.slice(0, 3));
    const next = await agent.get(`/api/v1/customers/${cust}/cases?limit=3&cursor=${table.json().nextCursor}`);
    expect(next.json().items.map((c: CaseJson) => c.id)).toEqual(newestFirst.slice(3));
    expect(next.json().nextCursor).toBeNull();

    const first = (await agent.get(`/api/v1/customers/${cust}/cases?position=1`)).json();
    expect(first).toMatchObject({ position: 1, total: 5, previous: null, next: 2 });
    expect(first.item.id).toBe(newestFirst[0]);
    const third = (await agent.get(`/api/v1/customers/${cust}/cases?position=3`)).json();
    expect(third).toMatchObject({ position: 3, total: 5, previous: 2, next: 4 });
    expect(third.item.id).toBe(newestFirst[2]);
    const last = (await agent.get(`/api/v1/customers/${cust}/cases?position=5`)).json();
    expect(last).toMatchObject({ position: 5, previous: 4, next: null });
    expect((await agent.get(`/api/v1/customers/${cust}/cases?position=6`)).statusCode).toBe(404);
    const byId = (await agent.get(`/api/v1/customers/${cust}/cases?caseId=${newestFirst[3]}`)).json();
    expect(byId).toMatchObject({ position: 4, total: 5, previous: 3, next: 5 });
    expect((await agent.get(`/api/v1/customers/${cust}/cases?caseId=${made[0].id.slice(0, 8)}`)).statusCode).toBe(404);
    expect((await agent.get(`/api/v1/customers/not-a-uuid/cases`)).statusCode).toBe(404);
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await agent.get(`/api/v1/customers/${unknown}/cases`)).statusCode).toBe(404);
    expect((await agent.get(`/api/v1/customers/${unknown}/cases?position=1`)).statusCode).toBe(404);
    const none = await makeCustomer(t, 'Caseless');
    expect((await agent.get(`/api/v1/customers/${none}/cases`)).json()).toEqual({ items: [], nextCursor: null });
  });
});
