import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestClient } from '../../test/helpers.js';
import { baseUrl, json, SseClient, type SseMessage } from '../../test/sse-client.js';
import { emitTestEvent, emitTestEvents, type TestEvent } from '../../test/events.js';
import { pruneEvents } from './prune.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const types = (c: SseClient) => c.events.filter((e) => e.event !== 'ready').map((e) => e.event);
const ids = (ms: SseMessage[]) => ms.map((m) => Number(m.id));

describe('live events (SSE)', () => {
  let t: TestApp;
  let url: string;
  let agent: TestClient;
  let agent2: TestClient;
  const open: SseClient[] = [];

  const connect = async (client: TestClient, lastEventId?: string | null) => {
    const c = await SseClient.open(url, { headers: client.headers, lastEventId });
    open.push(c);
    return c;
  };
  const emit = (...events: TestEvent[]) => t.db.transaction((tx) => emitTestEvents(tx, events));
  /** A broadcast everyone gets: once a client has it, it has everything emitted before. */
  let markers = 0;
  const marker = async (...clients: SseClient[]) => {
    const name = `m${++markers}`;
    await emit({ type: 'test.marker', payload: { name } });
    for (const c of clients) await c.waitFor((e) => e.event === 'test.marker' && json(e).name === name);
  };

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    url = `${baseUrl(t.app.server.address())}/api/v1/events`;
    agent = await t.user('agent');
    agent2 = await t.user('agent');
  });
  afterAll(async () => {
    for (const c of open) c.close();
    await t?.close();
  });

  it("delivers a user's own events and the broadcasts they may see, nothing else", async () => {
    const a = await connect(agent);
    const b = await connect(agent2);
    const admin = await connect(t.admin);
    await emit(
      { type: 'test.mine', userId: agent.userId, recordType: 'task', recordId: crypto.randomUUID() },
      { type: 'test.theirs', userId: agent2.userId },
      { type: 'test.all', payload: { n: 1 } },
      { type: 'test.adminOnly', requires: 'admin' },
      { type: 'test.tasks', requires: ['tasks.view', 'customers.view'] },
      { type: 'test.mineButAdmin', userId: agent.userId, requires: 'admin' },
    );
    await marker(a, b, admin);
    expect(types(a)).toEqual(['test.mine', 'test.all', 'test.tasks', 'test.marker']);
    expect(types(b)).toEqual(['test.theirs', 'test.all', 'test.tasks', 'test.marker']);
    expect(types(admin)).toEqual(['test.all', 'test.adminOnly', 'test.tasks', 'test.marker']);
    const wire = json(a.of('test.tasks')[0]);
    expect(wire).not.toHaveProperty('requires');
    expect(wire).toMatchObject({ type: 'test.tasks', recordType: null, recordId: null });
    expect(json(a.of('test.mine')[0]).id).toBe(a.of('test.mine')[0].id);
  });

  it('never delivers an event of a transaction that rolled back', async () => {
    const a = await connect(agent);
    await expect(
      t.db.transaction(async (tx) => {
        await emitTestEvent(tx, { type: 'test.ghost', userId: agent.userId });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    await emitTestEvent(t.db, { type: 'test.real', userId: agent.userId });
    await marker(a);
    expect(types(a)).toEqual(['test.real', 'test.marker']);
    const stored = await t.db.query("SELECT 1 FROM events WHERE type = 'test.ghost'");
    expect(stored).toHaveLength(0);
  });

  it('a transaction that emitted early and is still working does not hold up other event writers', async (ctx) => {
    // PGlite has one connection: its transactions run one at a time anyway.
    if (t.db.engine !== 'postgres') ctx.skip();
    const a = await connect(agent);
    let finishSlow!: () => void;
    const slowWorking = new Promise<void>((r) => (finishSlow = r));
    let slowEmitted!: () => void;
    const emittedBySlow = new Promise<void>((r) => (slowEmitted = r));
    const slow = t.db.transaction(async (tx) => {
      await emitTestEvent(tx, { type: 'test.slow' });
      slowEmitted();
      await slowWorking; // the rest of a long command, after its event
    });
    await emittedBySlow;
    // Event ids are serialised from insert to commit; were the slow one's insert made when it emitted,
    // this commit would wait for the slow one's, which waits for this: the test would time out.
    await emit({ type: 'test.quick' });
    finishSlow();
    await slow;
    await marker(a);
    expect(types(a)).toEqual(['test.quick', 'test.slow', 'test.marker']);
  });

  it('a client that reconnects with Last-Event-ID gets every event it missed, in order, then live ones', async () => {
    const a = await connect(agent);
    await emit({ type: 'test.one', userId: agent.userId }, { type: 'test.two', userId: agent.userId });
    await a.waitFor((e) => e.event === 'test.two');
    const resumeFrom = a.lastEventId!;
    a.close();

    await emit(
      { type: 'test.three', userId: agent.userId },
      { type: 'test.other', userId: agent2.userId },
      { type: 'test.secret', requires: 'admin' },
      { type: 'test.four' },
    );
    await emitTestEvent(t.db, { type: 'test.five', userId: agent.userId, payload: { n: 5 } });

    const again = await connect(agent, resumeFrom);
    // The backlog comes before `ready`; then the stream is live.
    expect(again.events.map((e) => e.event)).toEqual(['test.three', 'test.four', 'test.five', 'ready']);
    await emit({ type: 'test.six', userId: agent.userId });
    await again.waitFor((e) => e.event === 'test.six');
    const got = again.events.filter((e) => e.event !== 'ready');
    expect(ids(got)).toEqual([...ids(got)].sort((x, y) => x - y));
    expect(new Set(ids(got)).size).toBe(got.length);
    expect(json(again.of('test.five')[0]).n).toBe(5);
  });

  it('misses nothing and repeats nothing when events keep coming during the reconnect', async () => {
    const a = await connect(agent);
    const from = a.lastEventId!;
    a.close();
    const sent: number[] = [];
    const writer = (async () => {
      for (let i = 0; i < 60; i++) {
        await emitTestEvent(t.db, { type: 'test.burst', userId: agent.userId, payload: { i } });
        sent.push(i);
        if (i % 10 === 0) await sleep(5);
      }
    })();
    await sleep(20);
    const again = await connect(agent, from);
    await writer;
    await again.until(() => again.of('test.burst').length >= 60 || undefined, 15_000, '60 burst events');
    await marker(again);
    const burst = again.of('test.burst').map((e) => json(e).i);
    expect(burst).toEqual(sent);
  });

  it('gives the ready event an id, so a client that saw nothing yet resumes from there', async () => {
    const a = await connect(agent2);
    const ready = a.of('ready')[0];
    expect(ready.id).toMatch(/^\d+$/);
    a.close();
    await emitTestEvent(t.db, { type: 'test.whileAway', userId: agent2.userId });
    const again = await connect(agent2, ready.id);
    expect(types(again)).toEqual(['test.whileAway']);
  });

  it('an API key acts for its agent; a lookup-only key gets no stream', async () => {
    const key = await t.apiKey('agent');
    const k = await connect(key);
    await emitTestEvent(t.db, { type: 'test.forKey', userId: key.userId });
    await k.waitFor((e) => e.event === 'test.forKey');
    const lookup = await t.apiKey('agent', 'lookup');
    await expect(SseClient.open(url, { headers: lookup.headers })).rejects.toMatchObject({ status: 403 });
  });

  it('sends heartbeats', async () => {
    t.ctx.hub.heartbeatMs = 30;
    try {
      const a = await connect(agent);
      await a.until(() => a.comments >= 2 || undefined, 5000, 'two heartbeats');
    } finally {
      t.ctx.hub.heartbeatMs = 20_000;
    }
  });

  it('re-checks the credential: a disabled user is cut off, a revoked privilege stops its broadcasts', async () => {
    const gone = await t.user('agent');
    const watcher = await t.user('agent', { privileges: ['tasks.view', 'customers.view'] });
    const g = await connect(gone);
    const w = await connect(watcher);
    await emit({ type: 'test.tasksNews', requires: 'tasks.view' });
    await w.waitFor((e) => e.event === 'test.tasksNews');

    const user = (await t.admin.get(`/api/v1/users/${gone.userId}`)).json();
    expect(
      (await t.admin.patch(`/api/v1/users/${gone.userId}`, { disabled: true, version: user.version })).statusCode,
    ).toBe(200);
    await t.ctx.hub.recheckAll();
    await g.waitForEnd(5000);

    const u2 = (await t.admin.get(`/api/v1/users/${watcher.userId}`)).json();
    await t.admin.patch(`/api/v1/users/${watcher.userId}`, { privileges: ['customers.view'], version: u2.version });
    await t.ctx.hub.recheckAll();
    await emit({ type: 'test.tasksNews2', requires: 'tasks.view' });
    await marker(w);
    expect(w.of('test.tasksNews2')).toHaveLength(0);
  });

  it('prunes old events and tells a client resuming from before them to reload', async () => {
    await emitTestEvent(t.db, { type: 'test.old', userId: agent.userId });
    const before = await t.db.query<{ id: number }>('SELECT max(id) AS id FROM events');
    await t.db.query(`UPDATE events SET at = now() - interval '100 hours' WHERE id <= $1`, [before[0].id]);
    expect(await pruneEvents(t.db)).toBeGreaterThan(0);
    expect(await t.db.query('SELECT 1 FROM events WHERE id <= $1', [before[0].id])).toHaveLength(0);
    const a = await connect(agent, '1');
    expect(a.events[0].event).toBe('reset');
    // What is newer than the pruned ids still comes after the reset.
    await emitTestEvent(t.db, { type: 'test.new', userId: agent.userId });
    await a.waitFor((e) => e.event === 'test.new');
  });
});

describe('server shutdown', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });

  it('ends open event streams so the server can stop (clients reconnect elsewhere)', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const url = `${baseUrl(t.app.server.address())}/api/v1/events`;
    const a = await SseClient.open(url, { headers: t.admin.headers });
    expect(t.ctx.hub.connectedClients).toBe(1);
    await t.close();
    await a.waitForEnd(5000);
    expect(a.ended).toBe(true);
  });
});
