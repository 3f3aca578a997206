import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import type { App, AppContext } from '../src/context.js';
import { openPostgres, type Db } from '../src/db/adapter.js';
import type { StoredEvent } from '../src/events/hub.js';
import { createTestDb, ON_POSTGRES, PASSWORD, THROUGH_POOLER, TestClient, testConfig, type TestDb } from './helpers.js';
import { startPgbouncer, type RunningPgbouncer } from './infra/pgbouncer.js';

/**
 * The server behind a real PgBouncer (Debian's 1.18) in transaction mode:
 * DATABASE_POOLER=transaction sends no named prepared statements and no
 * session settings, and LISTEN goes through DATABASE_LISTEN_URL directly to
 * PostgreSQL. Hot paths that use named statements (screen-pop lookup, customer
 * search) answer correctly under concurrency, with transactions spread over
 * several server connections.
 */
describe.runIf(ON_POSTGRES)('behind PgBouncer in transaction mode', () => {
  let t: TestDb;
  let bouncer: RunningPgbouncer;
  let db: Db;
  let app: App;
  let ctx: AppContext;
  let admin: TestClient;

  beforeAll(async () => {
    t = await createTestDb();
    // A PgBouncer of its own with a small pool, in front of PostgreSQL itself (not of the suite's pooler).
    bouncer = await startPgbouncer(t.directUrl!, { poolSize: 3 });
    const pooled = bouncer.urlFor(t.directUrl!);
    const config = testConfig({
      DATABASE_URL: pooled,
      DATABASE_POOLER: 'transaction',
      DATABASE_LISTEN_URL: t.directUrl!,
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    });
    db = openPostgres({
      url: pooled,
      poolSize: 8,
      statementTimeoutMs: 30_000,
      pooler: 'transaction',
      listenUrl: t.directUrl!,
    });
    ({ app, ctx } = await buildApp(db, config, { runJobs: false, logger: false }));
    await app.ready();
    const u = await ctx.services.users.create(null, {
      email: 'bouncer@test.example',
      password: PASSWORD,
      role: 'admin',
      firstName: 'Pg',
      lastName: 'Bouncer',
    });
    admin = await TestClient.signIn(app, u.email, PASSWORD, u.id);
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await db?.close();
    await bouncer?.stop();
    await t?.drop();
  });

  it('really goes through the pooler', async () => {
    const rows = await db.query<{ port: number }>('SELECT inet_server_port() AS port');
    expect(rows[0].port).toBe(5432);
    // Several server connections serve this client's pool: a session-bound prepared statement would break.
    const pids = new Set<number>();
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        const [r] = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid, pg_sleep(0.02)');
        pids.add(r.pid);
      }),
    );
    expect(pids.size).toBeGreaterThan(1);
  });

  it('writes, screen-pop lookups and searches answer correctly under concurrency', { timeout: 60_000 }, async () => {
    for (let i = 0; i < 5; i++) {
      const res = await admin.post('/api/v1/customers', {
        firstName: `Pooled${i}`,
        lastName: 'Caller',
        phones: [{ number: `+1 415 555 01${String(i).padStart(2, '0')}` }],
      });
      expect(res.statusCode, res.body).toBe(201);
    }
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => admin.get(`/api/v1/lookup?phone=%2B1415555010${i % 5}`)),
    );
    for (const [i, a] of answers.entries()) {
      expect(a.statusCode, a.body).toBe(200);
      expect(a.json().matches[0].displayName).toContain(`Pooled${i % 5}`);
    }
    const lists = await Promise.all(Array.from({ length: 20 }, () => admin.get('/api/v1/customers?q=Pooled&limit=10')));
    for (const l of lists) {
      expect(l.statusCode, l.body).toBe(200);
      expect(l.json().items).toHaveLength(5);
    }
  });

  it('live events arrive over the direct LISTEN connection', { timeout: 30_000 }, async () => {
    const seen: StoredEvent[] = [];
    const off = ctx.hub.subscribeAll((e) => seen.push(e));
    try {
      const res = await admin.post('/api/v1/interactions', {
        channel: 'phone',
        direction: 'inbound',
        from: '+1 415 555 0101',
        agentId: 'bouncer@test.example',
        reference: 'pooled-1',
      });
      expect(res.statusCode, res.body).toBe(201);
      const id = res.json().id as string;
      await ctx.hub.flush();
      expect(seen.some((e) => e.type === 'screen.pop' && e.record_id === id)).toBe(true);
      const listeners = await t.db.query<{ n: number }>(
        `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'`,
      );
      expect(listeners[0].n).toBeGreaterThan(0);
    } finally {
      off();
    }
  });
  it('the webhook deliverer claims and records through the pooler, on connections of its own', async () => {
    const got: string[] = [];
    const rx = http.createServer((req, res) => {
      got.push(String(req.headers['webhook-id']));
      req.resume().on('end', () => res.end());
    });
    await new Promise<void>((resolve) => rx.listen(0, '127.0.0.1', resolve));
    try {
      const port = (rx.address() as AddressInfo).port;
      const hook = await admin.post('/api/v1/webhooks', { url: `http://127.0.0.1:${port}/hook`, events: ['*'] });
      expect(hook.statusCode, hook.body).toBe(201);
      await admin.post('/api/v1/customers', { firstName: 'Pooled', lastName: 'Hook' });
      expect(await ctx.services.webhooks.deliverDue()).toBe(1);
      expect(got).toHaveLength(1);
      const [d] = await db.query<{ state: string }>('SELECT state FROM webhook_deliveries');
      expect(d.state).toBe('succeeded');
      const own = await t.db.query<{ n: number }>(
        `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'switchboard-webhooks'`,
      );
      expect(own[0].n).toBe(0); // behind the pooler PostgreSQL sees PgBouncer's connections, not the deliverer's
    } finally {
      await new Promise((r) => rx.close(r));
    }
  });
});

/** CI's third stage (TEST_DATABASE_POOLER=transaction): the whole suite uses its databases through one PgBouncer. */
describe.runIf(THROUGH_POOLER)("the suite's own PgBouncer", () => {
  it('carries the test databases, and servers started on them are told so', async () => {
    const t = await createTestDb();
    try {
      expect(t.env).toEqual({
        DATABASE_URL: t.url,
        DATABASE_POOLER: 'transaction',
        DATABASE_LISTEN_URL: t.directUrl,
      });
      await t.db.query('SELECT 1');
      const name = new URL(t.directUrl!).pathname.slice(1);
      const consoleUrl = new URL(t.url!);
      consoleUrl.pathname = '/pgbouncer';
      const c = new pg.Client({ connectionString: consoleUrl.toString() });
      await c.connect();
      try {
        const clients = (await c.query<{ database: string }>('SHOW CLIENTS')).rows;
        expect(clients.filter((r) => r.database === name).length).toBeGreaterThan(0);
      } finally {
        await c.end();
      }
    } finally {
      await t.drop();
    }
  });
});
