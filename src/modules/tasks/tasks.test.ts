import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestClient } from '../../../test/helpers.js';
import { dayBounds } from './time.js';

const MIN = 60_000;
const at = (ms: number) => new Date(Date.now() + ms).toISOString();

async function newCustomer(t: TestApp, lastName = 'Lovelace'): Promise<string> {
  const res = await t.admin.post('/api/v1/customers', { firstName: 'Ada', lastName });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

describe('tasks', () => {
  let t: TestApp;
  let agent: TestClient;
  let other: TestClient;
  let customerId: string;

  beforeAll(async () => {
    t = await startTestApp();
    agent = await t.user('agent');
    other = await t.user('agent');
    customerId = await newCustomer(t);
  });
  afterAll(async () => t?.close());

  it('creates a planned task assigned to me with a reminder 30 minutes before it is due', async () => {
    const dueAt = at(3 * 60 * MIN);
    const res = await agent.post('/api/v1/tasks', {
      type: 'call',
      subject: 'Call back about the invoice',
      customerId,
      dueAt,
    });
    expect(res.statusCode, res.body).toBe(201);
    const task = res.json();
    expect(task).toMatchObject({
      type: 'call',
      subject: 'Call back about the invoice',
      customerId,
      caseId: null,
      assigneeId: agent.userId,
      status: 'open',
      dueAt,
      remindAt: new Date(Date.parse(dueAt) - 30 * MIN).toISOString(),
      completedAt: null,
      overdue: false,
      version: 1,
    });
    expect(res.headers.etag).toBe('"1"');
    const got = await agent.get(`/api/v1/tasks/${task.id}`);
    expect(got.json()).toEqual(task);
  });

  it('takes an explicit reminder time, or none', async () => {
    const dueAt = at(5 * 60 * MIN);
    const remindAt = at(4 * 60 * MIN);
    const a = (
      await agent.post('/api/v1/tasks', { type: 'email', subject: 'Send offer', customerId, dueAt, remindAt })
    ).json();
    expect(a.remindAt).toBe(remindAt);
    const b = (
      await agent.post('/api/v1/tasks', { type: 'email', subject: 'No ping', customerId, dueAt, remindAt: null })
    ).json();
    expect(b.remindAt).toBeNull();
    const c = (await agent.post('/api/v1/tasks', { type: 'other', subject: 'Someday', customerId })).json();
    expect(c).toMatchObject({ dueAt: null, remindAt: null });
  });

  it('logs a task after the fact', async () => {
    const completedAt = at(-2 * 60 * MIN);
    const res = await agent.post('/api/v1/tasks', {
      type: 'chat',
      subject: 'Chat about delivery',
      customerId,
      status: 'done',
      outcome: 'Customer happy',
      completedAt,
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ status: 'done', outcome: 'Customer happy', completedAt, remindAt: null });
  });

  it('refuses bad input naming the field, and writes nothing', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ type: 'fax', subject: 'x', customerId }, 'type'],
      [{ type: 'call', subject: '', customerId }, 'subject'],
      [{ type: 'call', subject: 'x' }, 'customerId'],
      [{ type: 'call', subject: 'x', customerId: 'nope' }, 'customerId'],
      [{ type: 'call', subject: 'x', customerId: randomUUID() }, 'customerId'],
      [{ type: 'call', subject: 'x', customerId, assigneeId: randomUUID() }, 'assigneeId'],
      [{ type: 'call', subject: 'x', customerId, caseId: randomUUID() }, 'caseId'],
      [{ type: 'call', subject: 'x', customerId, dueAt: 'tomorrow' }, 'dueAt'],
      [{ type: 'call', subject: 'x', customerId, status: 'done', completedAt: at(24 * 60 * MIN) }, 'completedAt'],
      [{ type: 'call', subject: 'x', customerId, completedAt: at(-MIN) }, 'completedAt'],
      [{ type: 'call', subject: 'x', customerId, customFields: { colour: 'red' } }, 'customFields.colour'],
      [{ type: 'call', subject: 'x', customerId, surprise: 1 }, 'surprise'],
    ];
    const before = (await agent.get(`/api/v1/tasks?customerId=${customerId}&limit=200`)).json().items.length;
    for (const [body, field] of cases) {
      const res = await agent.post('/api/v1/tasks', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    const after = (await agent.get(`/api/v1/tasks?customerId=${customerId}&limit=200`)).json().items.length;
    expect(after).toBe(before);
  });

  it('links a case of the same customer only', async () => {
    const kase = await t.admin.post('/api/v1/cases', { customerId, subject: 'Broken widget' });
    expect(kase.statusCode, kase.body).toBe(201);
    const caseId = kase.json().id as string;
    const ok = await agent.post('/api/v1/tasks', { type: 'call', subject: 'About the widget', customerId, caseId });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json().caseId).toBe(caseId);
    const elsewhere = await newCustomer(t, 'Byron');
    const bad = await agent.post('/api/v1/tasks', { type: 'call', subject: 'x', customerId: elsewhere, caseId });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('caseId');
    const list = await agent.get(`/api/v1/tasks?caseId=${caseId}`);
    expect(list.json().items.map((x: { id: string }) => x.id)).toEqual([ok.json().id]);
  });

  it('updates with optimistic concurrency and keeps the history of changes', async () => {
    const task = (
      await agent.post('/api/v1/tasks', { type: 'call', subject: 'First', customerId, dueAt: at(60 * MIN) })
    ).json();
    expect((await agent.patch(`/api/v1/tasks/${task.id}`, { subject: 'No version' })).statusCode).toBe(428);
    const res = await agent.patch(`/api/v1/tasks/${task.id}`, { subject: 'Second' }, { 'if-match': '"1"' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ subject: 'Second', version: 2 });
    const stale = await other.patch(`/api/v1/tasks/${task.id}`, { subject: 'Third', version: 1 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().current).toMatchObject({ subject: 'Second', version: 2 });

    const done = await agent.patch(`/api/v1/tasks/${task.id}`, { status: 'done', outcome: 'Reached', version: 2 });
    expect(done.json()).toMatchObject({ status: 'done', outcome: 'Reached', version: 3 });
    expect(done.json().completedAt).not.toBeNull();
    const reopened = await agent.patch(`/api/v1/tasks/${task.id}`, { status: 'open', version: 3 });
    expect(reopened.json()).toMatchObject({ status: 'open', completedAt: null });

    const history = (await agent.get(`/api/v1/tasks/${task.id}/history`)).json();
    expect(history.items.map((h: { action: string }) => h.action)).toEqual(['update', 'complete', 'update', 'create']);
    expect(history.items[2].changes).toEqual([{ field: 'subject', from: 'First', to: 'Second' }]);
    expect(history.items[2].actor.id).toBe(agent.userId);
  });

  it('moves the reminder with the due time, keeping its lead', async () => {
    const dueAt = at(10 * 60 * MIN);
    // An hour's lead exactly: both times from one clock reading (two readings may be a millisecond apart).
    const remindAt = new Date(Date.parse(dueAt) - 60 * MIN).toISOString();
    const task = (
      await agent.post('/api/v1/tasks', { type: 'meeting', subject: 'Visit', customerId, dueAt, remindAt })
    ).json();
    const later = new Date(Date.parse(dueAt) + 60 * MIN).toISOString();
    const moved = (await agent.patch(`/api/v1/tasks/${task.id}`, { dueAt: later, version: 1 })).json();
    expect(moved.remindAt).toBe(new Date(Date.parse(later) - 60 * MIN).toISOString());
  });

  it('reassigns, and deletes with the right privilege only', async () => {
    const task = (await agent.post('/api/v1/tasks', { type: 'call', subject: 'Hand over', customerId })).json();
    const moved = await agent.patch(`/api/v1/tasks/${task.id}`, { assigneeId: other.userId, version: 1 });
    expect(moved.json().assigneeId).toBe(other.userId);
    expect((await agent.delete(`/api/v1/tasks/${task.id}`)).statusCode).toBe(403);
    const supervisor = await t.user('supervisor');
    expect((await supervisor.delete(`/api/v1/tasks/${task.id}`, { 'if-match': '"1"' })).statusCode).toBe(409);
    expect((await supervisor.delete(`/api/v1/tasks/${task.id}`)).statusCode).toBe(204);
    expect((await agent.get(`/api/v1/tasks/${task.id}`)).statusCode).toBe(404);
    const history = (await agent.get(`/api/v1/tasks/${task.id}/history`)).json();
    expect(history.items[0].action).toBe('delete');
  });

  it('answers 404 for unknown or malformed ids and 403 without the privilege', async () => {
    expect((await agent.get(`/api/v1/tasks/${randomUUID()}`)).statusCode).toBe(404);
    expect((await agent.get('/api/v1/tasks/not-an-id')).statusCode).toBe(404);
    expect((await agent.patch('/api/v1/tasks/not-an-id', { subject: 'x', version: 1 })).statusCode).toBe(404);
    const blind = await t.user('agent', { privileges: ['customers.view'] });
    expect((await blind.get('/api/v1/tasks')).statusCode).toBe(403);
    const viewer = await t.user('agent', { privileges: ['tasks.view'] });
    expect((await viewer.post('/api/v1/tasks', { type: 'call', subject: 'x', customerId })).statusCode).toBe(403);
  });
});

describe('calendar days in a time zone', () => {
  it('finds the start and end of the local day, across DST changes', () => {
    const utc = dayBounds('UTC', new Date('2024-05-05T13:00:00Z'));
    expect([utc.start.toISOString(), utc.end.toISOString()]).toEqual([
      '2024-05-05T00:00:00.000Z',
      '2024-05-06T00:00:00.000Z',
    ]);
    const ny = dayBounds('America/New_York', new Date('2024-03-10T12:00:00Z'));
    expect([ny.start.toISOString(), ny.end.toISOString()]).toEqual([
      '2024-03-10T05:00:00.000Z',
      '2024-03-11T04:00:00.000Z',
    ]);
    const kolkata = dayBounds('Asia/Kolkata', new Date('2024-05-05T20:00:00Z'));
    expect([kolkata.start.toISOString(), kolkata.end.toISOString()]).toEqual([
      '2024-05-05T18:30:00.000Z',
      '2024-05-06T18:30:00.000Z',
    ]);
  });
});

describe('my tasks views', () => {
  let t: TestApp;
  let me: TestClient;
  let customerId: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp();
    me = await t.user('agent');
    customerId = await newCustomer(t);
    const now = new Date();
    const { start, end } = dayBounds('UTC', now);
    const mk = async (name: string, body: Record<string, unknown>) => {
      const res = await me.post('/api/v1/tasks', { type: 'call', subject: name, customerId, ...body });
      expect(res.statusCode, res.body).toBe(201);
      ids[name] = res.json().id;
    };
    await mk('yesterday', { dueAt: new Date(start.getTime() - 60 * MIN).toISOString() });
    await mk('earlier today', { dueAt: new Date(Math.max(start.getTime(), now.getTime() - 2 * MIN)).toISOString() });
    await mk('later today', { dueAt: new Date(Math.min(end.getTime() - 1, now.getTime() + 2 * MIN)).toISOString() });
    await mk('tomorrow', { dueAt: new Date(end.getTime() + 60 * MIN).toISOString() });
    await mk('next week', { dueAt: new Date(end.getTime() + 7 * 24 * 60 * MIN).toISOString() });
    await mk('undated', {});
    await mk('done', { status: 'done', completedAt: new Date(now.getTime() - MIN).toISOString() });
    await mk('done earlier', { status: 'done', completedAt: new Date(now.getTime() - 60 * MIN).toISOString() });
    // Someone else's task is in nobody's "my tasks" but mine.
    const other = await t.user('agent');
    await other.post('/api/v1/tasks', { type: 'call', subject: 'theirs', customerId, dueAt: at(MIN) });
  });
  afterAll(async () => t?.close());

  const names = async (query: string) => {
    const res = await me.get(`/api/v1/tasks?assigneeId=me&${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json().items.map((x: { subject: string }) => x.subject);
  };

  it('today, overdue, upcoming and done', async () => {
    expect(await names('due=today')).toEqual(['earlier today', 'later today']);
    expect(await names('due=overdue')).toEqual(['yesterday', 'earlier today']);
    expect(await names('due=upcoming')).toEqual(['tomorrow', 'next week']);
    expect(await names('due=done')).toEqual(['done', 'done earlier']);
    expect(await names('status=open')).toEqual([
      'yesterday',
      'earlier today',
      'later today',
      'tomorrow',
      'next week',
      'undated',
    ]);
  });

  it('pages with a cursor through dated then undated tasks, and through done ones', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await me.get(`/api/v1/tasks?assigneeId=me&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      const page = res.json() as { items: { subject: string }[]; nextCursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((x) => x.subject));
      cursor = page.nextCursor;
    } while (cursor);
    // Dated tasks by due time, then the undated ones (done tasks here have no due time).
    const dated = seen.filter((s) =>
      ['yesterday', 'earlier today', 'later today', 'tomorrow', 'next week'].includes(s),
    );
    expect(dated).toEqual(['yesterday', 'earlier today', 'later today', 'tomorrow', 'next week']);
    expect(seen.slice(0, 5)).toEqual(dated);
    expect(new Set(seen.slice(5))).toEqual(new Set(['undated', 'done', 'done earlier']));
    expect(seen).toHaveLength(8);
    const first = (await me.get('/api/v1/tasks?assigneeId=me&due=done&limit=1')).json();
    const second = (await me.get(`/api/v1/tasks?assigneeId=me&due=done&limit=1&cursor=${first.nextCursor}`)).json();
    expect(second.items[0].subject).toBe('done earlier');
    expect(second.nextCursor).toBeNull();
    expect((await me.get('/api/v1/tasks?cursor=garbage')).statusCode).toBe(400);
  });

  it('filters by customer and refuses malformed filter ids', async () => {
    const res = await me.get(`/api/v1/tasks?customerId=${customerId}&limit=200`);
    expect(res.json().items).toHaveLength(9);
    expect((await me.get('/api/v1/tasks?assigneeId=someone')).statusCode).toBe(400);
  });

  it('"today" follows the time zone asked for', async () => {
    const now = new Date();
    const kiritimati = dayBounds('Pacific/Kiritimati', now);
    const middle = new Date((kiritimati.start.getTime() + kiritimati.end.getTime()) / 2);
    await me.post('/api/v1/tasks', {
      type: 'call',
      subject: 'kiritimati noon',
      customerId,
      dueAt: middle.toISOString(),
    });
    expect(await names('due=today&tz=Pacific/Kiritimati')).toContain('kiritimati noon');
    const west = dayBounds('Etc/GMT+12', now);
    const inWest = middle >= west.start && middle < west.end;
    expect((await names('due=today&tz=Etc/GMT%2B12')).includes('kiritimati noon')).toBe(inWest);
    const bad = await me.get('/api/v1/tasks?due=today&tz=Mars/Olympus');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('tz');
  });
});
