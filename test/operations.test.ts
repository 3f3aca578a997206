import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { startTestApp, testConfig, type TestApp } from './helpers.js';

/** Health, readiness, metrics and the shutdown hooks of one process (docs/operations.md). */
describe('operations: health, metrics, shutdown', () => {
  let t: TestApp;
  const TOKEN = 'metrics-token-0123456789';
  beforeAll(async () => {
    t = await startTestApp({ env: { METRICS_TOKEN: TOKEN } });
  });
  afterAll(async () => t?.close());

  it('answers /healthz (liveness, nothing degraded) and /readyz (migrations applied)', async () => {
    const h = await t.anonymous.get('/healthz');
    expect(h.statusCode).toBe(200);
    expect(h.json()).toMatchObject({ status: 'ok', degraded: {}, draining: false });
    const r = await t.anonymous.get('/readyz');
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({ status: 'ready' });
  });

  it('/readyz is 503 while a migration this build knows is not applied', async () => {
    const [last] = await t.db.query<{ name: string }>('SELECT max(name) AS name FROM schema_migrations');
    await t.db.query('DELETE FROM schema_migrations WHERE name = $1', [last.name]);
    try {
      const r = await t.anonymous.get('/readyz');
      expect(r.statusCode).toBe(503);
      expect(r.json()).toEqual({ status: 'migrations pending', missing: [last.name] });
    } finally {
      await t.db.query('INSERT INTO schema_migrations (name) VALUES ($1)', [last.name]);
    }
  });

  it('/metrics needs the bearer token and reports requests by route, the pool, queues and streams', async () => {
    await t.admin.post('/api/v1/customers', { firstName: 'Metric', lastName: 'Person' });
    await t.admin.get('/api/v1/customers?limit=5');
    expect((await t.anonymous.get('/metrics')).statusCode).toBe(401);
    expect((await t.anonymous.get('/metrics', { authorization: 'Bearer wrong-token-0123456789' })).statusCode).toBe(
      401,
    );
    const m = await t.anonymous.get('/metrics', { authorization: `Bearer ${TOKEN}` });
    expect(m.statusCode).toBe(200);
    expect(m.headers['content-type']).toMatch(/^text\/plain/);
    const text = m.body;
    expect(text).toMatch(
      /switchboard_http_request_duration_seconds_bucket\{le="[\d.]+",method="POST",route="\/api\/v1\/customers",status_class="2xx"\}/,
    );
    expect(text).toMatch(
      /switchboard_http_requests_total\{method="GET",route="\/api\/v1\/customers",status_class="2xx"\} 1/,
    );
    expect(text).toContain('switchboard_db_pool_in_use');
    expect(text).toContain('switchboard_db_pool_waiting');
    expect(text).toContain('switchboard_db_statement_timeouts_total 0');
    expect(text).toContain('switchboard_event_stream_clients 0');
    expect(text).toMatch(/switchboard_queue_depth\{queue="reminders",status="due"\} 0/);
    expect(text).toMatch(/switchboard_queue_depth\{queue="mail",status="queued"\} \d+/);
    expect(text).toMatch(/switchboard_outbox_lag_events \d+/);
    expect(text).toContain('switchboard_process_cpu_user_seconds_total');
  });

  it('reports queued jobs by kind with their age', async () => {
    t.ctx.services.jobs.registerJobKind('ops-test', { run: async () => ({}) });
    await t.ctx.services.jobs.enqueue({ kind: 'ops-test', params: {}, ownerId: null });
    const text = (await t.anonymous.get('/metrics', { authorization: `Bearer ${TOKEN}` })).body;
    expect(text).toMatch(/switchboard_queue_depth\{queue="job:ops-test",status="queued"\} 1/);
    expect(text).toMatch(/switchboard_queue_oldest_age_seconds\{queue="job:ops-test",status="queued"\} [\d.e-]+/);
    await t.db.query(`DELETE FROM jobs WHERE kind = 'ops-test'`);
  });

  it('/metrics is 404 while METRICS_TOKEN is unset', async () => {
    const { app } = await buildApp(t.db, testConfig(), { runJobs: false, logger: false });
    await app.ready();
    try {
      expect((await app.inject({ url: '/metrics' })).statusCode).toBe(404);
      expect((await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(
        404,
      );
    } finally {
      await app.close();
    }
  });

  it('on close: /readyz turns 503 first, then the modules shutdown hooks run, last registered first', async () => {
    const { app, ctx } = await buildApp(t.db, testConfig(), { runJobs: false, logger: false });
    await app.ready();
    const order: string[] = [];
    ctx.lifecycle.onShutdown('first', () => void order.push('first'));
    ctx.lifecycle.onShutdown('failing', () => {
      order.push('failing');
      throw new Error('boom');
    });
    ctx.lifecycle.onShutdown('last', async () => {
      order.push(`last (draining: ${ctx.lifecycle.isDraining})`);
    });
    ctx.lifecycle.beginDrain();
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(503);
    expect((await app.inject({ url: '/healthz' })).json()).toMatchObject({ draining: true });
    await app.close();
    expect(order).toEqual(['last (draining: true)', 'failing', 'first']);
  });
});
