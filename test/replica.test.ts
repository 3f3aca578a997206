import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { systemClock } from '../src/clock.js';
import type { App, AppContext } from '../src/context.js';
import { openPostgres, type Db } from '../src/db/adapter.js';
import { migrate } from '../src/db/migrate.js';
import { ReplicaRouter, type ReplicaState } from '../src/db/replica.js';
import { ON_POSTGRES, PASSWORD, TestClient, testConfig } from './helpers.js';
import { startPrimaryAndStandby, type PrimaryAndStandby } from './infra/pgcluster.js';

/**
 * DATABASE_REPLICA_URL with a real hot standby made by pg_basebackup -R: list
 * and record reads go to the replica, a writer reads its own writes (from the
 * primary until the replica has replayed them), a replica that lags past the
 * limit or is down is left out (reads go to the primary) and /healthz says so.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.runIf(ON_POSTGRES)('read replica (a real streaming standby)', () => {
  let cluster: PrimaryAndStandby;
  let primary: Db;
  let router: ReplicaRouter;
  let app: App;
  let ctx: AppContext;
  let writer: TestClient;
  let reader: TestClient;

  const until = async (state: ReplicaState, ms = 20_000) => {
    const end = Date.now() + ms;
    for (;;) {
      await router.check();
      if (router.state === state) return;
      if (Date.now() > end) throw new Error(`replica stayed ${router.state} (${router.detail}), wanted ${state}`);
      await sleep(200);
    }
  };

  beforeAll(async () => {
    // A primary and a standby of its own (test/infra/pgcluster.ts), not TEST_DATABASE_URL's server:
    // direct connections even in the pooled run (TEST_DATABASE_POOLER), whose PgBouncer fronts that server.
    cluster = await startPrimaryAndStandby();
    primary = openPostgres({ url: cluster.primaryUrl, poolSize: 6, statementTimeoutMs: 30_000 });
    await migrate(primary);
    router = new ReplicaRouter(
      primary,
      openPostgres({ url: cluster.standbyUrl, poolSize: 4, statementTimeoutMs: 30_000 }),
      systemClock,
      { maxLagMs: 2000, readYourWritesMs: 30_000, checkMs: 60_000 },
    );
    const config = testConfig({ DATABASE_URL: cluster.primaryUrl, DATABASE_REPLICA_URL: cluster.standbyUrl });
    ({ app, ctx } = await buildApp(primary, config, { runJobs: false, logger: false, replica: router }));
    await app.ready();
    const mk = async (role: 'admin' | 'supervisor', email: string) => {
      const u = await ctx.services.users.create(null, {
        email,
        password: PASSWORD,
        role,
        firstName: role,
        lastName: 'R',
      });
      return TestClient.signIn(app, email, PASSWORD, u.id);
    };
    writer = await mk('admin', 'writer@replica.test');
    reader = await mk('supervisor', 'reader@replica.test');
    await until('ok');
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    await primary?.close();
    await cluster?.stop();
  });

  it('sends list and lookup reads to the replica', async () => {
    const before = router.reads.replica;
    expect((await reader.get('/api/v1/customers?limit=5')).statusCode).toBe(200);
    expect((await reader.get('/api/v1/lookup?phone=%2B14155550100')).statusCode).toBe(200);
    expect(router.reads.replica).toBeGreaterThan(before);
    const h = await reader.get('/healthz');
    expect(h.json()).toMatchObject({ status: 'ok', degraded: {} });
  });

  it('a writer reads its own write while the replica has not replayed it; others read the replica', async () => {
    await router.replica.query('SELECT pg_wal_replay_pause()');
    try {
      const created = await writer.post('/api/v1/customers', { firstName: 'Fresh', lastName: 'Write' });
      expect(created.statusCode).toBe(201);
      expect(created.cookies.find((c) => c.name === 'sb_lsn')?.value).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
      const id = created.json().id as string;
      await router.check();
      expect(router.state).toBe('ok'); // within the lag limit: still used
      expect((await writer.get(`/api/v1/customers/${id}`)).statusCode).toBe(200);
      // Another user reads the replica, which has not replayed it yet.
      expect((await reader.get(`/api/v1/customers/${id}`)).statusCode).toBe(404);

      // Past the limit the replica is left out: everyone reads the primary, /healthz says so.
      await until('lagging');
      expect((await reader.get(`/api/v1/customers/${id}`)).statusCode).toBe(200);
      const h = (await reader.get('/healthz')).json();
      expect(h.status).toBe('degraded');
      expect(h.degraded.replica).toMatch(/^lagging/);
    } finally {
      await router.replica.query('SELECT pg_wal_replay_resume()');
    }
    await until('ok');
  });

  it('a replica that is down is left out; reads go to the primary', async () => {
    await cluster.stopStandby();
    const res = await reader.get('/api/v1/customers?limit=5');
    expect(res.statusCode, res.body).toBe(200);
    await until('down');
    expect((await reader.get('/api/v1/customers?limit=5')).statusCode).toBe(200);
    const h = (await reader.get('/healthz')).json();
    expect(h.degraded.replica).toMatch(/^down: unreachable/);
  });
});
