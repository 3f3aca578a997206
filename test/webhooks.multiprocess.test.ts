import http from 'node:http';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueWebhook } from '../src/modules/webhooks/outbox.js';
import { startServer, type RunningServer } from './cli.js';
import { ON_POSTGRES, startTestApp, type TestApp } from './helpers.js';

/**
 * Webhook delivery by spawned server processes on one PostgreSQL: a server
 * killed (SIGKILL) while delivering leaves the event to the next one, and two
 * processes deliver 1,000 events each exactly once (claims with SKIP LOCKED).
 * PostgreSQL only: PGlite cannot be shared between processes (the in-process
 * restart case runs on both engines in webhooks.test.ts).
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe.runIf(ON_POSTGRES)('webhooks across server processes on one PostgreSQL', () => {
  let t: TestApp;
  let secret: string;
  let hookUrl: string;
  const received: { id: string; body: string; headers: Record<string, string> }[] = [];
  /** When set, requests are held (never answered) while it returns true. */
  let hold: (body: string) => boolean = () => false;
  const held: http.ServerResponse[] = [];
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = req.headers as Record<string, string>;
      if (hold(body)) {
        held.push(res);
        return;
      }
      received.push({ id: headers['webhook-id'], body, headers });
      res.end('ok');
    });
  });
  const servers: RunningServer[] = [];
  // A short timeout (so a killed server's claim lapses soon) only where a server is killed: a receiver
  // slower than the timeout gets the event again (at-least-once), which the exactly-once count must not see.
  const env = async (timeoutMs = 10_000) => ({
    ...t.dbEnv,
    PORT: String(await freePort()),
    PG_POOL_SIZE: '5',
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    WEBHOOK_TIMEOUT_MS: String(timeoutMs),
  });
  const waitFor = async (cond: () => boolean, ms: number) => {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error('timed out');
      await sleep(50);
    }
  };

  beforeAll(async () => {
    t = await startTestApp({ env: { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' } }); // delivers nothing itself: only the spawned servers do
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(receiver.address() as net.AddressInfo).port}/hook`;
    const res = await t.admin.post('/api/v1/webhooks', { url: hookUrl, events: ['*'] });
    expect(res.statusCode, res.body).toBe(201);
    secret = res.json().secret;
  });
  afterAll(async () => {
    for (const r of held) r.destroy();
    for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    receiver.closeAllConnections();
    await new Promise((r) => receiver.close(r));
    await t?.close();
  });

  it(
    'a server killed between commit and delivery: the event is delivered by the next one',
    { timeout: 120_000 },
    async () => {
      hold = (body) => body.includes('Killed');
      const a = await startServer(await env(2000), 90_000);
      servers.push(a);
      const c = await t.admin.post('/api/v1/customers', { firstName: 'Killed', lastName: 'Midway' });
      expect(c.statusCode).toBe(201);
      await waitFor(() => held.length === 1, 20_000); // server A is sending it: SIGKILL now
      a.child.kill('SIGKILL');
      await new Promise((r) => a.child.once('exit', r));
      hold = () => false;
      const b = await startServer(await env(2000), 90_000);
      servers.push(b);
      // B takes it over once A's claim has lapsed (2 × timeout + 1 s).
      await waitFor(() => received.some((r) => r.body.includes('Killed')), 30_000);
      const got = received.find((r) => r.body.includes('Killed'))!;
      new Webhook(secret).verify(got.body, got.headers);
      expect(JSON.parse(got.body)).toMatchObject({ type: 'customer.created', data: { id: c.json().id } });
      // Let B record what it sent before it goes: killed between the receiver's answer and that write,
      // its claim lapses during the next test, whose servers then send the event again (at-least-once).
      for (let i = 0; ; i++) {
        const [p] = await t.db.query<{ n: number }>(
          `SELECT count(*) AS n FROM webhook_deliveries WHERE state = 'pending'`,
        );
        if (p.n === 0) break;
        if (i > 200) throw new Error('server B did not record its deliveries');
        await sleep(50);
      }
      b.child.kill('SIGKILL');
    },
  );

  it('two processes deliver 1,000 events, each once', { timeout: 180_000 }, async () => {
    received.length = 0;
    for (let batch = 0; batch < 10; batch++) {
      await t.db.transaction(async (tx) => {
        for (let i = 0; i < 100; i++) {
          await enqueueWebhook(tx, 'customer.updated', { id: randomUUID(), version: 1, n: batch * 100 + i });
        }
      });
    }
    servers.push(...(await Promise.all([env(), env()].map(async (e) => startServer(await e, 90_000)))));
    const started = Date.now();
    await waitFor(() => received.length >= 1000, 120_000);
    console.log(`1,000 webhooks delivered by two processes in ${Date.now() - started} ms after both started`);
    await sleep(1500); // a duplicate would arrive now
    expect(received).toHaveLength(1000);
    expect(new Set(received.map((r) => r.id)).size).toBe(1000);
    const wh = new Webhook(secret);
    for (const r of received) wh.verify(r.body, r.headers);
    const states = await t.db.query<{ state: string; attempts: number; n: number }>(
      `SELECT d.state, d.attempts, count(*)::int AS n FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
       WHERE e.type = 'customer.updated' GROUP BY 1, 2`,
    );
    expect(states).toEqual([{ state: 'succeeded', attempts: 1, n: 1000 }]);
  });
});
