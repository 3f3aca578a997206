import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { emitTestEvent } from '../../../test/events.js';
import { ON_POSTGRES, openTestPostgres, startTestApp, type TestApp, type TestClient } from '../../../test/helpers.js';
import { baseUrl, json, SseClient } from '../../../test/sse-client.js';
import { RemindersService } from './reminders.js';

const MIN = 60_000;
/** The app's clock: the pollers and the tasks read it; the tests move it instead of sleeping. */
const clock = new ManualClock();
const at = (ms: number) => new Date(clock.now().getTime() + ms).toISOString();
const ago = (ms: number) => new Date(clock.now().getTime() - ms);

interface ReminderWire {
  reminderId: string;
  taskId: string;
  kind: 'before' | 'overdue';
  fireAt: string;
  subject: string;
  dueAt: string | null;
}

describe('reminders', () => {
  let t: TestApp;
  let url: string;
  let agent: TestClient;
  let bystander: TestClient;
  let customerId: string;
  let a: SseClient;
  let b: SseClient;
  const clients: SseClient[] = [];

  const connect = async (client: TestClient, lastEventId?: string | null) => {
    const c = await SseClient.open(url, { headers: client.headers, lastEventId });
    clients.push(c);
    return c;
  };
  const task = async (body: Record<string, unknown>, as: TestClient = agent) => {
    const res = await as.post('/api/v1/tasks', { type: 'call', subject: 'Call back', customerId, ...body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; version: number; remindAt: string | null; dueAt: string | null };
  };
  /** The poller's work, as every server process runs it every half second. */
  const poll = () => t.ctx.services.reminders.fireDue();
  let markers = 0;
  const settle = async (...cs: SseClient[]) => {
    const name = `m${++markers}`;
    await emitTestEvent(t.db, { type: 'test.marker', payload: { name } });
    for (const c of cs) await c.waitFor((e) => e.event === 'test.marker' && json(e).name === name);
  };
  const reminders = (c: SseClient, taskId: string) =>
    c
      .of('reminder')
      .map((e) => json<ReminderWire>(e))
      .filter((r) => r.taskId === taskId);
  const cleared = (c: SseClient, taskId: string) =>
    c
      .of('reminder.cleared')
      .map((e) => json<{ taskId: string; reason: string }>(e))
      .filter((r) => r.taskId === taskId);
  const active = async (who: TestClient = agent) => {
    const res = await who.get('/api/v1/reminders/active');
    expect(res.statusCode, res.body).toBe(200);
    return res.json().items as { id: string; taskId: string; kind: string; fireAt: string }[];
  };

  beforeAll(async () => {
    t = await startTestApp({ clock });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    url = `${baseUrl(t.app.server.address())}/api/v1/events`;
    agent = await t.user('agent');
    bystander = await t.user('agent');
    const c = await t.admin.post('/api/v1/customers', { firstName: 'Grace', lastName: 'Hopper' });
    customerId = c.json().id;
    a = await connect(agent);
    b = await connect(bystander);
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await t?.close();
  });

  it('fires a due reminder once, to the assignee only, and keeps it active until seen', async () => {
    const remindAt = at(-1000);
    const x = await task({ dueAt: at(60 * MIN), remindAt, subject: 'Renewal call' });
    expect(await poll()).toBeGreaterThanOrEqual(1);
    expect(await poll()).toBe(0);
    await settle(a, b);
    const got = reminders(a, x.id);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ kind: 'before', fireAt: remindAt, subject: 'Renewal call', dueAt: x.dueAt });
    expect(reminders(b, x.id)).toHaveLength(0);
    expect((await active()).map((r) => r.taskId)).toContain(x.id);
    expect((await active(bystander)).map((r) => r.taskId)).not.toContain(x.id);
    // The legacy path the console may use answers the same list.
    expect((await agent.get('/api/v1/reminders')).json().items).toEqual(await active());
  });

  it('a reminder that fell due while no poller ran fires at the next start; a late console still sees it', async () => {
    const late = await t.user('agent');
    const x = await task({ dueAt: at(60 * MIN), remindAt: at(-10 * MIN), assigneeId: late.userId });
    const before = (await t.db.query<{ id: number }>('SELECT coalesce(max(id), 0) AS id FROM events'))[0].id;
    await poll();
    // The console opens afterwards: it loads the active list, or resumes the stream from an id it had.
    expect((await active(late)).map((r) => r.taskId)).toEqual([x.id]);
    const c = await connect(late, String(before));
    expect(reminders(c, x.id)).toHaveLength(1);
  });

  it('snoozes: the popup goes away everywhere and comes back when the snooze ends', async () => {
    const x = await task({ dueAt: at(60 * MIN), remindAt: at(-1000) });
    await poll();
    await settle(a);
    expect(reminders(a, x.id)).toHaveLength(1);
    expect((await agent.post(`/api/v1/tasks/${x.id}/reminder/snooze`, {})).statusCode).toBe(400);
    expect((await agent.post(`/api/v1/tasks/${x.id}/reminder/snooze`, { minutes: 5, until: at(MIN) })).statusCode).toBe(
      400,
    );
    expect((await agent.post(`/api/v1/tasks/${x.id}/reminder/snooze`, { until: at(-MIN) })).statusCode).toBe(400);
    expect((await bystander.post(`/api/v1/tasks/${x.id}/reminder/snooze`, { minutes: 5 })).statusCode).toBe(404);

    const res = await agent.post(`/api/v1/tasks/${x.id}/reminder/snooze`, { minutes: 10 });
    expect(res.statusCode, res.body).toBe(200);
    const fireAt = Date.parse(res.json().items[0].fireAt);
    expect(fireAt).toBeGreaterThan(clock.now().getTime() + 9 * MIN);
    expect((await active()).map((r) => r.taskId)).not.toContain(x.id);
    await a.waitFor((e) => e.event === 'reminder.cleared' && json(e).taskId === x.id);
    expect(cleared(a, x.id)[0].reason).toBe('snoozed');
    await poll();
    expect((await agent.post(`/api/v1/tasks/${x.id}/reminder/snooze`, { minutes: 5 })).statusCode).toBe(404);

    // Snoozed again from the start, this time only briefly: it fires a second time.
    await t.db.query(`UPDATE reminders SET fire_at = $2 WHERE task_id = $1 AND kind = 'before'`, [x.id, ago(1000)]);
    await poll();
    await settle(a);
    expect(reminders(a, x.id)).toHaveLength(2);
    const until = at(800);
    expect((await agent.post(`/api/v1/tasks/${x.id}/reminders/snooze`, { until })).statusCode).toBe(200);
    clock.advance(1000);
    await poll();
    await settle(a);
    expect(reminders(a, x.id).map((r) => r.fireAt)).toEqual([expect.any(String), expect.any(String), until]);
  });

  it('dismisses: gone from the active list and from the other consoles, never fires again', async () => {
    const second = await connect(agent);
    const x = await task({ dueAt: at(60 * MIN), remindAt: at(-1000) });
    await poll();
    await settle(a, second);
    expect(reminders(second, x.id)).toHaveLength(1);
    expect((await agent.post(`/api/v1/tasks/${x.id}/reminder/dismiss`)).statusCode).toBe(204);
    await second.waitFor((e) => e.event === 'reminder.cleared' && json(e).taskId === x.id);
    expect(cleared(second, x.id)[0].reason).toBe('dismissed');
    expect((await active()).map((r) => r.taskId)).not.toContain(x.id);
    expect((await agent.post(`/api/v1/tasks/${x.id}/reminder/dismiss`)).statusCode).toBe(204);
    expect(await poll()).toBe(0);
    expect((await agent.post(`/api/v1/tasks/${crypto.randomUUID()}/reminder/dismiss`)).statusCode).toBe(404);
  });

  it('fires a second, past-due reminder, which replaces the first', async () => {
    const x = await task({ dueAt: at(1200), remindAt: at(-1000) });
    await poll();
    await settle(a);
    expect(reminders(a, x.id).map((r) => r.kind)).toEqual(['before']);
    clock.advance(1400);
    await poll();
    await settle(a);
    expect(reminders(a, x.id).map((r) => r.kind)).toEqual(['before', 'overdue']);
    expect(cleared(a, x.id).map((c) => c.reason)).toEqual(['cancelled']);
    expect((await active()).filter((r) => r.taskId === x.id).map((r) => r.kind)).toEqual(['overdue']);
  });

  it('a task created already past due gets only the past-due reminder', async () => {
    const x = await task({ dueAt: at(-5 * MIN) });
    expect(x.remindAt).not.toBeNull();
    await poll();
    await settle(a);
    expect(reminders(a, x.id).map((r) => r.kind)).toEqual(['overdue']);
  });

  it('completing or cancelling a task cancels its reminders, shown or pending', async () => {
    const pending = await task({ dueAt: at(60 * MIN), remindAt: at(30 * MIN) });
    const shown = await task({ dueAt: at(60 * MIN), remindAt: at(-1000) });
    await poll();
    await settle(a);
    expect(reminders(a, shown.id)).toHaveLength(1);
    await agent.patch(`/api/v1/tasks/${pending.id}`, { status: 'cancelled', version: 1 });
    await agent.patch(`/api/v1/tasks/${shown.id}`, { status: 'done', version: 1 });
    await a.waitFor((e) => e.event === 'reminder.cleared' && json(e).taskId === shown.id);
    expect((await active()).map((r) => r.taskId)).not.toContain(shown.id);
    await t.db.query(`UPDATE reminders SET fire_at = $2 WHERE task_id = $1`, [pending.id, ago(1000)]);
    expect(await poll()).toBe(0);
    const states = await t.db.query<{ state: string }>(
      'SELECT state FROM reminders WHERE task_id = ANY($1::uuid[]) ORDER BY state',
      [[pending.id, shown.id]],
    );
    expect(states.every((s) => s.state === 'cancelled')).toBe(true);
  });

  it('a reassigned task takes its shown reminder to the new assignee', async () => {
    const x = await task({ dueAt: at(60 * MIN), remindAt: at(-1000) });
    await poll();
    await settle(a);
    const res = await agent.patch(`/api/v1/tasks/${x.id}`, { assigneeId: bystander.userId, version: 1 });
    expect(res.statusCode, res.body).toBe(200);
    await b.waitFor((e) => e.event === 'task.assigned' && json(e).taskId === x.id);
    await a.waitFor((e) => e.event === 'reminder.cleared' && json(e).taskId === x.id);
    expect(cleared(a, x.id)[0].reason).toBe('reassigned');
    await poll();
    await settle(b);
    expect(reminders(b, x.id)).toHaveLength(1);
    expect((await active(bystander)).map((r) => r.taskId)).toContain(x.id);
    expect((await active()).map((r) => r.taskId)).not.toContain(x.id);
  });

  it('moving the reminder time re-arms it; removing it takes a shown one down', async () => {
    const x = await task({ dueAt: at(60 * MIN), remindAt: at(-1000) });
    await poll();
    const moved = await agent.patch(`/api/v1/tasks/${x.id}`, { remindAt: at(-500), version: 1 });
    expect(moved.statusCode).toBe(200);
    await poll();
    await settle(a);
    expect(reminders(a, x.id)).toHaveLength(2);
    await agent.patch(`/api/v1/tasks/${x.id}`, { remindAt: null, version: 2 });
    await settle(a);
    expect(cleared(a, x.id).map((c) => c.reason)).toEqual(['cancelled', 'cancelled']);
    expect((await active()).map((r) => r.taskId)).not.toContain(x.id);
  });

  it('announces task changes to consoles allowed to see tasks', async () => {
    const blind = await t.user('agent', { privileges: ['customers.view'] });
    const c = await connect(blind);
    const x = await task({ subject: 'Watched' });
    await agent.patch(`/api/v1/tasks/${x.id}`, { subject: 'Watched twice', version: 1 });
    await settle(a, b, c);
    const changes = (s: SseClient) => s.of('record.changed').filter((e) => json(e).recordId === x.id);
    expect(changes(b).map((e) => json(e).action)).toEqual(['create', 'update']);
    expect(json(changes(b)[1])).toMatchObject({ recordType: 'task', version: 2, by: agent.userId });
    expect(changes(c)).toHaveLength(0);
  });
  it("a task is overdue only after its due time, by the app's clock (GET /tasks/{id} and the list alike)", async () => {
    const due = at(10 * MIN);
    const created = await task({ dueAt: due, remindAt: null });
    expect(created).toMatchObject({ overdue: false });
    clock.set(new Date(due));
    const atDue = (await agent.get(`/api/v1/tasks/${created.id}`)).json();
    expect(atDue.overdue).toBe(false);
    clock.advance(1);
    const after = (await agent.get(`/api/v1/tasks/${created.id}`)).json();
    expect(after.overdue).toBe(true);
    const list = (await agent.get(`/api/v1/tasks?customerId=${customerId}`)).json().items as {
      id: string;
      overdue: boolean;
    }[];
    expect(list.find((x) => x.id === created.id)?.overdue).toBe(true);
    await agent.patch(`/api/v1/tasks/${created.id}`, { status: 'cancelled', version: created.version });
  });
});

describe.runIf(ON_POSTGRES)('reminders with several pollers on one PostgreSQL', () => {
  it('claims each due reminder exactly once', async () => {
    const t = await startTestApp({ clock });
    const extra = Array.from({ length: 3 }, () => openTestPostgres(t.dbDirectUrl!, 4));
    try {
      const agent = await t.user('agent');
      const customerId = (await t.admin.post('/api/v1/customers', { firstName: 'A', lastName: 'B' })).json().id;
      for (let i = 0; i < 120; i++) {
        const res = await agent.post('/api/v1/tasks', {
          type: 'call',
          subject: `t${i}`,
          customerId,
          dueAt: at(60 * MIN),
          remindAt: at(-1000),
        });
        expect(res.statusCode).toBe(201);
      }
      const pollers = [t.ctx.services.reminders, ...extra.map((db) => new RemindersService(db, clock))];
      const counts = await Promise.all(pollers.flatMap((p) => [p.fireDue(), p.fireDue()]));
      expect(counts.reduce((x, y) => x + y, 0)).toBe(120);
      const rows = await t.db.query<{ n: number; tasks: number }>(
        "SELECT count(*) AS n, count(DISTINCT record_id) AS tasks FROM events WHERE type = 'reminder'",
      );
      expect(rows[0]).toEqual({ n: 120, tasks: 120 });
    } finally {
      for (const db of extra) await db.close();
      await t.close();
    }
  });
});
