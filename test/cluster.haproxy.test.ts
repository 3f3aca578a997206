import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './cli.js';
import { createTestDb, ON_POSTGRES, type TestDb } from './helpers.js';
import { freePort, startHaproxy, type RunningHaproxy } from './infra/haproxy.js';
import { json, SseClient } from './sse-client.js';

/**
 * Three server processes on one PostgreSQL behind a real HAProxy (round-robin):
 * sessions work on any process, a screen pop created through one reaches the
 * agent's stream on another, an import job runs exactly once, a process killed
 * mid-request loses no acknowledged write and the proxy's retries (with
 * Idempotency-Key) create no duplicates, and a rolling restart loses no request.
 */
const ADMIN = { email: 'cluster@test.example', password: 'cluster-test-password' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Api {
  headers: Record<string, string> = {};
  constructor(readonly base: string) {}
  async signIn() {
    const res = await fetch(`${this.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
    });
    if (res.status !== 200) throw new Error(`sign-in ${res.status}`);
    const cookie = res.headers
      .getSetCookie()
      .find((c) => c.startsWith('sb_session='))!
      .split(';')[0];
    this.headers = { cookie, 'x-csrf-token': ((await res.json()) as { csrfToken: string }).csrfToken };
    return this;
  }
  async raw(method: string, url: string, body?: string | object, extra: Record<string, string> = {}, base = this.base) {
    const type = typeof body === 'string' ? 'text/csv' : 'application/json';
    return fetch(`${base}${url}`, {
      method,
      headers: { ...this.headers, ...(body !== undefined ? { 'content-type': type } : {}), ...extra },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  }
  async call<T>(method: string, url: string, body?: string | object): Promise<T> {
    const res = await this.raw(method, url, body);
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${url}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  }
}

describe.runIf(ON_POSTGRES)('three server processes behind HAProxy', () => {
  let t: TestDb;
  const ports: number[] = [];
  const servers: RunningServer[] = [];
  let proxy: RunningHaproxy;
  let api: Api;
  const env = (port: number) => ({
    ...t.env,
    PORT: String(port),
    SWITCHBOARD_ADMIN_EMAIL: ADMIN.email,
    SWITCHBOARD_ADMIN_PASSWORD: ADMIN.password,
    PG_POOL_SIZE: '4',
    JOB_LEASE_SECONDS: '3',
    LOG_LEVEL: 'error',
  });

  beforeAll(async () => {
    t = await createTestDb();
    ports.push(await freePort(), await freePort(), await freePort());
    // The first creates the administrator; the others start together.
    servers.push(await startServer(env(ports[0]), 120_000));
    servers.push(...(await Promise.all(ports.slice(1).map((p) => startServer(env(p), 120_000)))));
    proxy = await startHaproxy(ports);
    api = await new Api(proxy.url).signIn();
  }, 300_000);
  afterAll(async () => {
    await proxy?.stop();
    await Promise.all(servers.map((s) => s.stop()));
    await t?.drop();
  });

  it('round-robins over the processes, and a session works on every one', async () => {
    const pids = new Set<number>();
    for (let i = 0; i < 6; i++) pids.add(((await (await fetch(`${proxy.url}/healthz`)).json()) as { pid: number }).pid);
    expect(pids.size).toBe(3);
    for (const port of ports) {
      const me = await api.raw('GET', '/api/v1/me', undefined, {}, `http://127.0.0.1:${port}`);
      expect(me.status).toBe(200);
    }
  });

  it('a screen pop created through one process reaches the stream held by another', { timeout: 60_000 }, async () => {
    const stream = await SseClient.open(`http://127.0.0.1:${ports[0]}/api/v1/events`, { headers: api.headers });
    try {
      await stream.waitFor((e) => e.event === 'ready', 10_000);
      const res = await api.raw(
        'POST',
        '/api/v1/interactions',
        { channel: 'phone', direction: 'inbound', from: '+1 415 555 0100', agentId: ADMIN.email, reference: 'hp-1' },
        {},
        `http://127.0.0.1:${ports[1]}`,
      );
      expect(res.status).toBe(201);
      const id = ((await res.json()) as { id: string }).id;
      const pop = await stream.waitFor(
        (e) => e.event === 'screen.pop' && json<{ interaction: { id: string } }>(e).interaction.id === id,
        20_000,
      );
      expect(pop).toBeTruthy();
    } finally {
      stream.close();
    }
  });

  it('an import submitted through the proxy runs exactly once', { timeout: 180_000 }, async () => {
    const rows = 3000;
    const lines = ['Account Number,First Name,Last Name'];
    for (let i = 1; i <= rows; i++) lines.push(`HP-${i},First${i},Imported`);
    const imp = await api.call<{ id: string }>(
      'POST',
      '/api/v1/imports?objectType=customers&fileName=cluster.csv',
      lines.join('\n') + '\n',
    );
    await api.call('POST', `/api/v1/imports/${imp.id}/start`, { mode: 'upsert' });
    let status = '';
    for (let i = 0; i < 1200 && status !== 'completed' && status !== 'failed'; i++) {
      status = (await api.call<{ run: { status: string } }>('GET', `/api/v1/imports/${imp.id}`)).run.status;
      if (status !== 'completed') await sleep(100);
    }
    expect(status).toBe('completed');
    const [c] = await t.db.query<{ n: number; distinct_n: number }>(
      `SELECT count(*) AS n, count(DISTINCT account_number) AS distinct_n FROM customers WHERE account_number LIKE 'HP-%'`,
    );
    expect(c).toEqual({ n: rows, distinct_n: rows });
    const [h] = await t.db.query<{ n: number }>(
      `SELECT count(*) AS n FROM history h JOIN customers c ON c.id = h.record_id
        WHERE h.record_type = 'customer' AND c.account_number LIKE 'HP-%'`,
    );
    expect(h.n).toBe(rows);
    const jobs = await t.db.query<{ status: string; attempts: number }>(
      `SELECT j.status, j.attempts FROM jobs j JOIN import_runs r ON r.job_id = j.id WHERE r.import_id = $1`,
      [imp.id],
    );
    expect(jobs).toEqual([{ status: 'succeeded', attempts: 1 }]);
  });

  /**
   * Writers create customers through the proxy, each with its own Idempotency-Key,
   * retrying (same key) whatever did not come back as 201. `stop` ends a process
   * while they run. Returns what each key got.
   */
  async function writeWhile(tag: string, count: number, stop: () => Promise<void>, clientRetries: number) {
    const acknowledged = new Map<string, string>();
    const failures: string[] = [];
    let next = 0;
    let stopped: Promise<void> | null = null;
    const writer = async () => {
      for (let i = next++; i < count; i = next++) {
        const key = `${tag}-${i}`;
        for (let attempt = 0; attempt <= clientRetries; attempt++) {
          const res = await api
            .raw('POST', '/api/v1/customers', { firstName: key, lastName: tag }, { 'idempotency-key': key })
            .catch((err: Error) => err);
          if (!(res instanceof Error) && res.status === 201) {
            acknowledged.set(key, ((await res.json()) as { id: string }).id);
            break;
          }
          failures.push(res instanceof Error ? res.message : `${res.status} ${await res.text()}`);
        }
        if (acknowledged.size >= count / 4 && !stopped) stopped = stop();
      }
    };
    await Promise.all(Array.from({ length: 4 }, writer));
    await stopped;
    const rows = await t.db.query<{ id: string; first_name: string }>(
      'SELECT id, first_name FROM customers WHERE last_name = $1',
      [tag],
    );
    return { acknowledged, failures, rows };
  }

  it('SIGKILL of one process mid-request: no acknowledged write lost, no duplicate', { timeout: 180_000 }, async () => {
    const victim = servers[2];
    const { acknowledged, rows } = await writeWhile(
      'Killed',
      80,
      async () => {
        victim.child.kill('SIGKILL');
        await new Promise((r) => victim.child.once('exit', r));
      },
      10,
    );
    // Every acknowledged write is there, exactly once; nothing was written twice under one key.
    const byKey = new Map(rows.map((r) => [r.first_name, r.id]));
    expect(rows.length).toBe(byKey.size);
    for (const [key, id] of acknowledged) expect(byKey.get(key)).toBe(id);
    expect(rows.length).toBe(80);
    servers[2] = await startServer(env(ports[2]), 120_000);
  });

  it('a rolling restart (SIGTERM, then start again, one by one) fails no request', { timeout: 300_000 }, async () => {
    let restarted = 0;
    const { acknowledged, failures, rows } = await writeWhile(
      'Rolling',
      150,
      async () => {
        for (let i = 0; i < servers.length; i++) {
          await servers[i].stop();
          servers[i] = await startServer(env(ports[i]), 120_000);
          restarted++;
          // HAProxy takes it back after two good health checks.
          await sleep(800);
        }
      },
      0,
    );
    expect(restarted).toBe(3);
    expect(failures).toEqual([]);
    expect(acknowledged.size).toBe(150);
    expect(rows.length).toBe(150);
  });
});
