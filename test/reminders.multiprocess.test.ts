import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitTestEvent } from './events.js';
import { startServer, type RunningServer } from './cli.js';
import { ON_POSTGRES, startTestApp, type TestApp, type TestClient } from './helpers.js';
import { json, SseClient } from './sse-client.js';

/**
 * Reminders with several server processes on one PostgreSQL (docs/product.md T2):
 * every process polls, each reminder fires exactly once, and reaches its agent
 * over SSE whichever process the agent is connected to. PostgreSQL only: PGlite
 * cannot be shared between processes.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe.runIf(ON_POSTGRES)('reminders across two server processes on one PostgreSQL', () => {
  let t: TestApp;
  let customerId: string;
  const servers: { proc: RunningServer; url: string }[] = [];
  const clients: SseClient[] = [];

  const connect = async (serverIndex: number, who: TestClient, lastEventId?: string) => {
    const c = await SseClient.open(`${servers[serverIndex].url}/api/v1/events`, { headers: who.headers, lastEventId });
    clients.push(c);
    return c;
  };
  let markers = 0;
  /** A broadcast every client gets after everything committed before it. */
  const settle = async (cs: SseClient[]) => {
    const name = `m${++markers}`;
    await emitTestEvent(t.db, { type: 'test.marker', payload: { name } });
    for (const c of cs) await c.waitFor((e) => e.event === 'test.marker' && json(e).name === name, 20_000);
  };
  const remindersOf = (c: SseClient) => c.of('reminder').map((e) => json<{ taskId: string; kind: string }>(e));

  beforeAll(async () => {
    t = await startTestApp(); // runs no poller: only the spawned servers fire reminders
    customerId = (await t.admin.post('/api/v1/customers', { firstName: 'Multi', lastName: 'Process' })).json().id;
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all(servers.map((s) => s.proc.stop()));
    await t?.close();
  });

  it('a reminder that fell due while no server ran is delivered after start', { timeout: 120_000 }, async () => {
    const agent = await t.user('agent');
    const remindAt = new Date(Date.now() + 300).toISOString();
    const res = await t.admin.post('/api/v1/tasks', {
      type: 'call',
      subject: 'Due while down',
      customerId,
      assigneeId: agent.userId,
      dueAt: new Date(Date.now() + 3600_000).toISOString(),
      remindAt,
    });
    expect(res.statusCode, res.body).toBe(201);
    const taskId = res.json().id as string;
    const lastSeen = (await t.db.query<{ id: number }>('SELECT coalesce(max(id), 0) AS id FROM events'))[0].id;
    await sleep(800);
    const waiting = await t.db.query<{ state: string }>('SELECT state FROM reminders WHERE task_id = $1', [taskId]);
    expect(waiting.map((r) => r.state)).toContain('pending');

    const ports = await Promise.all([freePort(), freePort()]);
    const procs = await Promise.all(
      ports.map((port) =>
        startServer({ ...t.dbEnv, PORT: String(port), PG_POOL_SIZE: '5' }, 90_000).then((proc) => ({
          proc,
          url: `http://127.0.0.1:${port}`,
        })),
      ),
    );
    servers.push(...procs);

    // The agent's console opens afterwards, resuming from the last id it had seen.
    const c = await connect(1, agent, String(lastSeen));
    await c.waitFor((e) => e.event === 'reminder' && json(e).taskId === taskId, 20_000);
    const active = await fetch(`${servers[0].url}/api/v1/reminders/active`, { headers: agent.headers });
    expect(((await active.json()) as { items: { taskId: string }[] }).items.map((r) => r.taskId)).toEqual([taskId]);
    await sleep(1200); // both servers poll again
    await settle([c]);
    expect(remindersOf(c).filter((r) => r.taskId === taskId)).toHaveLength(1);
  });

  it(
    '200 reminders falling due within seconds: each delivered exactly once, to the right agent',
    {
      timeout: 180_000,
    },
    async () => {
      expect(servers).toHaveLength(2);
      const agents = await Promise.all(Array.from({ length: 6 }, () => t.user('agent')));
      // Agents split over the two processes: a reminder fired by one is delivered by the other as often as not.
      const streams = await Promise.all(agents.map((a, i) => connect(i % 2, a)));
      const observer = await connect(1, t.admin);

      const expected = new Map<string, string[]>(agents.map((a) => [a.userId!, []]));
      const base = Date.now() + 4000;
      for (let i = 0; i < 200; i++) {
        const assignee = agents[i % agents.length];
        const res = await t.admin.post('/api/v1/tasks', {
          type: 'call',
          subject: `Call ${i}`,
          customerId,
          assigneeId: assignee.userId,
          dueAt: new Date(base + 3600_000).toISOString(),
          remindAt: new Date(base + (i % 50) * 60).toISOString(),
        });
        expect(res.statusCode, res.body).toBe(201);
        expected.get(assignee.userId!)!.push(res.json().id);
      }

      await Promise.all(
        agents.map((a, i) =>
          streams[i].until(
            () => remindersOf(streams[i]).length >= expected.get(a.userId!)!.length || undefined,
            60_000,
            `reminders of agent ${i}`,
          ),
        ),
      );
      await sleep(1500); // several more polls by both processes: nothing may fire twice
      await settle([...streams, observer]);

      for (const [i, a] of agents.entries()) {
        const got = remindersOf(streams[i]).map((r) => r.taskId);
        expect(got.length).toBe(expected.get(a.userId!)!.length);
        expect([...got].sort()).toEqual([...expected.get(a.userId!)!].sort());
      }
      expect(remindersOf(observer)).toHaveLength(0);

      const all = [...expected.values()].flat();
      const rows = await t.db.query<{ state: string; fire_count: number; n: number }>(
        `SELECT state, fire_count, count(*) AS n FROM reminders WHERE task_id = ANY($1::uuid[]) AND kind = 'before'
       GROUP BY state, fire_count`,
        [all],
      );
      expect(rows).toEqual([{ state: 'fired', fire_count: 1, n: 200 }]);
      const events = await t.db.query<{ n: number }>(
        `SELECT count(*) AS n FROM events WHERE type = 'reminder' AND record_id = ANY($1::uuid[])`,
        [all],
      );
      expect(events[0].n).toBe(200);
    },
  );
});
