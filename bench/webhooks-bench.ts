/**
 * Webhooks benchmark, in one process (the server's app with its delivery
 * poller running) against real local HTTP receivers on loopback:
 *   1. enqueue overhead: a customer update with no endpoint vs with E endpoints subscribed
 *   2. paced record changes (R/s for D s) to E endpoints: commit → receiver latency p50/p99,
 *      lost and duplicate deliveries, process CPU and memory
 *   3. a backlog of K events: deliveries per second
 *
 *   npx tsx bench/webhooks-bench.ts                                  # PostgreSQL, small sizes
 *   npx tsx bench/webhooks-bench.ts --engine pglite
 *   npx tsx bench/webhooks-bench.ts --rate 500 --duration 60 --endpoints 5 --backlog 10000   # the size
 *
 * Options: --engine postgres|pglite, --pg URL (its own database sb_bench_webhooks, made afresh),
 * --updates 300, --endpoints 5, --rate 50, --duration 10, --backlog 1000, --customers 50 (updated
 * in turn: at a high rate use more, or concurrent updates of one customer lose on version and are
 * not counted).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openPglite, openPostgres, type Db } from '../src/db/adapter.js';
import { migrate } from '../src/db/migrate.js';
import { systemActor } from '../src/http/actor.js';
import { enqueueWebhook } from '../src/modules/webhooks/outbox.js';
import { log } from './lib.js';

const { values: args } = parseArgs({
  options: {
    engine: { type: 'string', default: 'postgres' },
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    updates: { type: 'string', default: '300' },
    endpoints: { type: 'string', default: '5' },
    rate: { type: 'string', default: '50' },
    duration: { type: 'string', default: '10' },
    backlog: { type: 'string', default: '1000' },
    customers: { type: 'string', default: '50' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(`npx tsx bench/webhooks-bench.ts [options]
  --engine postgres|pglite   database (default postgres)
  --pg URL                   PostgreSQL server; the bench makes its own database sb_bench_webhooks afresh
  --updates N                sequential customer updates for the enqueue overhead (default 300)
  --endpoints N              local receivers on loopback, each subscribed to * (default 5)
  --rate N --duration S      paced customer updates per second, for S seconds (default 50, 10)
  --customers N              customers updated in turn (default 50)
  --backlog N                events enqueued at once for the throughput measure (default 1000)`);
  process.exit(0);
}
const UPDATES = Number(args.updates);
const ENDPOINTS = Number(args.endpoints);
const RATE = Number(args.rate);
const DURATION = Number(args.duration);
const BACKLOG = Number(args.backlog);
const MAX_PENDING_UPDATES = 32;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};

async function openDb(): Promise<Db> {
  if (args.engine === 'pglite') {
    const db = await openPglite(undefined);
    await migrate(db);
    return db;
  }
  const admin = new pg.Client({ connectionString: args.pg });
  await admin.connect();
  await admin.query('DROP DATABASE IF EXISTS sb_bench_webhooks WITH (FORCE)');
  await admin.query('CREATE DATABASE sb_bench_webhooks');
  await admin.end();
  const url = new URL(args.pg!);
  url.pathname = '/sb_bench_webhooks';
  const db = openPostgres({ url: url.toString(), poolSize: 20, statementTimeoutMs: 30000 });
  await migrate(db);
  return db;
}

/** Receivers: every request's webhook-id and arrival time. */
const arrivals = new Map<string, number[]>(); // key `${endpoint}|${webhook-id}` → times
const bodies = new Map<string, string>(); // webhook-id → body
const servers: http.Server[] = [];
async function receiver(i: number): Promise<string> {
  const srv = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const id = req.headers['webhook-id'] as string;
      const key = `${i}|${id}`;
      const list = arrivals.get(key) ?? [];
      list.push(Date.now());
      arrivals.set(key, list);
      bodies.set(id, Buffer.concat(chunks).toString('utf8'));
      res.end();
    });
  });
  servers.push(srv);
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(srv.address() as AddressInfo).port}/hook/${i}`;
}

async function main() {
  const db = await openDb();
  const config = loadConfig({ LOG_LEVEL: 'silent', WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' });
  const { app, ctx } = await buildApp(db, config, { runJobs: true, logger: false });
  await app.ready();
  const actor = systemActor('api', 'bench');
  const customers = ctx.services.customers;
  const people: { id: string; version: number }[] = [];
  for (let i = 0; i < Number(args.customers); i++)
    people.push(await customers.create(actor, { firstName: 'Bench', lastName: `P${i}` }));
  const versions = new Map(people.map((p) => [p.id, p.version]));
  let n = 0;
  const update = async () => {
    const p = people[n++ % people.length];
    const c = await customers.update(actor, p.id, { notes: `n${n}` }, versions.get(p.id)!);
    versions.set(p.id, c.version);
    return c;
  };
  const timeUpdates = async (count: number) => {
    const t0 = performance.now();
    for (let i = 0; i < count; i++) await update();
    return (performance.now() - t0) / count;
  };

  log(`engine ${args.engine}; load average ${(await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').trim()}`);
  await timeUpdates(50); // warm up
  const without = await timeUpdates(UPDATES);
  const urls = await Promise.all(Array.from({ length: ENDPOINTS }, (_, i) => receiver(i)));
  for (const url of urls) await ctx.services.webhooks.create(actor, { url, events: ['*'] });
  const withHooks = await timeUpdates(UPDATES);
  log(
    `1. customer update, ${UPDATES} sequential: ${without.toFixed(2)} ms without webhooks, ` +
      `${withHooks.toFixed(2)} ms with ${ENDPOINTS} endpoints subscribed (+${(withHooks - without).toFixed(2)} ms: the outbox rows, written in the update's transaction, while the poller delivers)`,
  );
  await waitAll(ENDPOINTS * UPDATES, 60_000);
  arrivals.clear();

  // 2. paced changes
  const commits = new Map<string, number>(); // `${id}:${version}` → commit time
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  let sent = 0;
  let skipped = 0;
  let peakRss = 0;
  const inFlight = new Set<Promise<void>>();
  while (Date.now() - t0 < DURATION * 1000) {
    const due = Math.floor(((Date.now() - t0) / 1000) * RATE);
    while (sent < due) {
      sent++;
      // The database pool is shared with the deliveries: past this many updates waiting, the change is
      // skipped (counted), not queued, so the load generator cannot starve the deliverer of connections.
      if (inFlight.size >= MAX_PENDING_UPDATES) {
        skipped++;
        continue;
      }
      const p: Promise<void> = update()
        .then((c) => void commits.set(`${c.id}:${c.version}`, Date.now()))
        .catch(() => undefined)
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    await sleep(5);
  }
  await Promise.all(inFlight);
  const expected = commits.size * ENDPOINTS;
  const complete = await waitAll(expected, 120_000);
  const cpu = process.cpuUsage(cpu0);
  const wall = (Date.now() - t0) / 1000;
  const latencies: number[] = [];
  let duplicates = 0;
  for (const [key, times] of arrivals) {
    duplicates += times.length - 1;
    const data = JSON.parse(bodies.get(key.split('|')[1])!).data as { id: string; version: number };
    const committed = commits.get(`${data.id}:${data.version}`);
    if (committed !== undefined) latencies.push(times[0] - committed);
  }
  log(
    `2. ${commits.size} changes committed (${(commits.size / DURATION).toFixed(0)}/s; ${sent} offered at ${RATE}/s for ${DURATION} s, ` +
      `${skipped} skipped with ${MAX_PENDING_UPDATES} updates pending, the rest lost on version) to ${ENDPOINTS} endpoints: ${arrivals.size}/${expected} delivered` +
      `${complete ? '' : ' (TIMED OUT)'}, ${duplicates} duplicates; commit → receiver p50 ${pct(latencies, 50)} ms, ` +
      `p99 ${pct(latencies, 99)} ms, max ${pct(latencies, 100)} ms; process CPU ${(((cpu.user + cpu.system) / 1e6 / wall) * 100).toFixed(0)}% of a core, ` +
      `peak RSS ${(peakRss / 1048576).toFixed(0)} MB`,
  );
  arrivals.clear();

  // 3. backlog
  await db.transaction(async (tx) => {
    for (let i = 0; i < BACKLOG; i++) await enqueueWebhook(tx, 'customer.updated', { id: randomUUID(), version: 1 });
  });
  const b0 = performance.now();
  const done = await waitAll(BACKLOG * ENDPOINTS, 300_000);
  const secs = (performance.now() - b0) / 1000;
  log(
    `3. backlog of ${BACKLOG} events × ${ENDPOINTS} endpoints: ${arrivals.size} deliveries in ${secs.toFixed(1)} s = ` +
      `${(arrivals.size / secs).toFixed(0)} deliveries/s${done ? '' : ' (TIMED OUT)'}`,
  );
  log(`load average after: ${(await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').trim()}`);
  await app.close();
  for (const s of servers) s.close();
  await db.close();
}

async function waitAll(expected: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (arrivals.size < expected) {
    if (Date.now() > end) return false;
    await sleep(20);
  }
  return true;
}

await main();
