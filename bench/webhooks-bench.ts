/**
 * Webhooks benchmark: the server as its own process (`switchboard serve` on
 * PostgreSQL, its delivery poller running), the load generator (customer
 * PATCHes over HTTP) and the local receivers on loopback in this process, so
 * neither takes the deliverer's process:
 *   1. enqueue overhead: a PATCH with no endpoint vs with E endpoints subscribed (sequential)
 *   2. paced record changes (R/s for D s) to E endpoints: transaction → receiver latency
 *      p50/p99, lost and duplicate deliveries, server CPU and peak RSS (apart from this process's)
 *   3. a backlog of K events: deliveries per second
 *
 *   npx tsx bench/webhooks-bench.ts                                  # small sizes
 *   npx tsx bench/webhooks-bench.ts --rate 500 --duration 60 --customers 1000 --updates 100 --backlog 2000
 *   npx tsx bench/webhooks-bench.ts … --baseline-env WEBHOOK_DB_POOL_SIZE=0   # 2 and 3 twice: that env first
 *
 * PostgreSQL only (PGlite cannot be opened by two processes). The bench makes
 * its own database (--database, dropped and made afresh).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { openPostgres, type Db } from '../src/db/adapter.js';
import { migrate } from '../src/db/migrate.js';
import { systemActor } from '../src/http/actor.js';
import { CustomersService } from '../src/modules/customers/service.js';
import { AuthService } from '../src/modules/users/auth-service.js';
import { UsersService } from '../src/modules/users/service.js';
import { enqueueWebhook } from '../src/modules/webhooks/outbox.js';
import { ensureBenchDatabase, log, measureCpu, peakRssMb, startServer, stopServer, waitHealthy } from './lib.js';

const { values: args } = parseArgs({
  options: {
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    database: { type: 'string', default: 'sb_bench_webhooks' },
    port: { type: 'string', default: '3971' },
    'pool-size': { type: 'string', default: '20' },
    updates: { type: 'string', default: '300' },
    endpoints: { type: 'string', default: '5' },
    rate: { type: 'string', default: '50' },
    duration: { type: 'string', default: '10' },
    backlog: { type: 'string', default: '1000' },
    customers: { type: 'string', default: '50' },
    'baseline-env': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(`npx tsx bench/webhooks-bench.ts [options]
  --pg URL                   PostgreSQL server (default postgres://postgres@127.0.0.1:5432/postgres)
  --database NAME            the bench's own database, dropped and made afresh (default sb_bench_webhooks)
  --port N                   the spawned server's port (default 3971)
  --pool-size N              the server's PG_POOL_SIZE (default 20)
  --updates N                sequential PATCHes for the enqueue overhead (default 300)
  --endpoints N              local receivers on loopback, each subscribed to * (default 5)
  --rate N --duration S      paced PATCHes per second, for S seconds (default 50, 10)
  --customers N              customers updated in turn (default 50)
  --backlog N                events enqueued at once for the throughput measure (default 1000)
  --baseline-env K=V[,K=V]   run 2 and 3 first on a server with this environment (the baseline), then without`);
  process.exit(0);
}
const UPDATES = Number(args.updates);
const ENDPOINTS = Number(args.endpoints);
const RATE = Number(args.rate);
const DURATION = Number(args.duration);
const BACKLOG = Number(args.backlog);
const PORT = Number(args.port);
/** Past this many PATCHes waiting for their answer a change is skipped (counted), not queued. */
const MAX_PENDING_UPDATES = 32;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = Float64Array.from(xs).sort();
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** Receivers: every request's webhook-id, arrival time and record. */
interface Arrival {
  times: number[];
  /** The event's timestamp (its transaction's start, ms). */
  eventAt: number;
  record: string;
}
const arrivals = new Map<string, Arrival>(); // `${endpoint}|${webhook-id}` →
let arrivalCount = 0;
const servers: http.Server[] = [];
async function receiver(i: number): Promise<string> {
  const srv = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = Date.now();
      const key = `${i}|${req.headers['webhook-id'] as string}`;
      const seen = arrivals.get(key);
      if (seen) seen.times.push(now);
      else {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          timestamp: string;
          data: { id: string; version: number };
        };
        arrivals.set(key, {
          times: [now],
          eventAt: Date.parse(body.timestamp),
          record: `${i}|${body.data.id}:${body.data.version}`,
        });
      }
      arrivalCount++;
      res.end();
    });
  });
  servers.push(srv);
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(srv.address() as AddressInfo).port}/hook/${i}`;
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(20);
  }
  return true;
}

/** The load generator: PATCH /customers/{id} over keep-alive connections. */
class Patcher {
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: MAX_PENDING_UPDATES });
  private n = 0;
  constructor(
    private readonly headers: Record<string, string>,
    private readonly people: { id: string; version: number }[],
  ) {}

  /** One change of the next customer in turn: its `id:version` when committed, null when refused (409: counted). */
  update(): Promise<string | null> {
    const p = this.people[this.n++ % this.people.length];
    const body = JSON.stringify({ notes: `n${this.n}`, version: p.version });
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: PORT,
          method: 'PATCH',
          path: `/api/v1/customers/${p.id}`,
          agent: this.agent,
          headers: { ...this.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const json = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') as {
              version?: number;
              current?: { version: number };
            } | null;
            if (res.statusCode === 200 && json?.version !== undefined) {
              p.version = json.version;
              resolve(`${p.id}:${json.version}`);
            } else if (res.statusCode === 409 && json?.current) {
              p.version = json.current.version;
              resolve(null);
            } else reject(new Error(`PATCH answered ${res.statusCode}`));
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
}

async function main() {
  await ensureBenchDatabase(args.pg!, args.database!, true);
  const url = new URL(args.pg!);
  url.pathname = `/${args.database}`;
  const dbUrl = url.toString();
  const db: Db = openPostgres({ url: dbUrl, poolSize: 4, statementTimeoutMs: 60_000 });
  await migrate(db);
  const config = loadConfig({ ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1', LOG_LEVEL: 'silent' });
  const users = new UsersService(db, config);
  const admin = await users.create(null, {
    email: 'bench-admin@webhooks.test',
    password: 'bench admin password',
    role: 'admin',
  });
  const key = (await new AuthService(db, config, users).createApiKey(null, { userId: admin.id, scope: 'full' })).key;
  const headers = { authorization: `Bearer ${key}` };
  const customers = new CustomersService(db, config);
  const actor = systemActor('api', 'bench');
  const people: { id: string; version: number }[] = [];
  for (let i = 0; i < Number(args.customers); i++) {
    const c = await customers.create(actor, { firstName: 'Bench', lastName: `P${i}` });
    people.push({ id: c.id, version: c.version });
  }
  const urls = await Promise.all(Array.from({ length: ENDPOINTS }, (_, i) => receiver(i)));
  const patcher = new Patcher(headers, people);
  log(
    `${people.length} customers, ${ENDPOINTS} endpoints on loopback; server: its own process, PG_POOL_SIZE ${args['pool-size']}; ` +
      `load average ${loadavg()}`,
  );

  const serve = (extra: Record<string, string>) =>
    startServer(PORT, {
      DATABASE_URL: dbUrl,
      PG_POOL_SIZE: args['pool-size'],
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      ...extra,
    });

  // 1. enqueue overhead, sequential PATCHes without and with endpoints
  {
    const server = serve({});
    try {
      await waitHealthy(PORT);
      const timeUpdates = async (count: number) => {
        const t0 = performance.now();
        for (let i = 0; i < count; i++) await patcher.update();
        return (performance.now() - t0) / count;
      };
      await timeUpdates(50); // warm up
      const without = await timeUpdates(UPDATES);
      for (const u of urls) {
        const res = await fetch(`http://127.0.0.1:${PORT}/api/v1/webhooks`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({ url: u, events: ['*'] }),
        });
        if (res.status !== 201) throw new Error(`creating an endpoint answered ${res.status}`);
      }
      const withHooks = await timeUpdates(UPDATES);
      log(
        `1. PATCH /customers/{id}, ${UPDATES} sequential over HTTP: ${without.toFixed(2)} ms without webhooks, ` +
          `${withHooks.toFixed(2)} ms with ${ENDPOINTS} endpoints subscribed (+${(withHooks - without).toFixed(2)} ms)`,
      );
      await waitFor(() => arrivalCount >= ENDPOINTS * UPDATES, 60_000);
    } finally {
      await stopServer(server);
    }
  }

  const variants: [string, Record<string, string>][] = [];
  if (args['baseline-env']) {
    const env = Object.fromEntries(args['baseline-env'].split(',').map((kv) => kv.split('=') as [string, string]));
    variants.push([`baseline (${args['baseline-env']})`, env]);
  }
  variants.push(['this build', {}]);
  const summary: string[] = [];
  for (const [name, env] of variants) {
    arrivals.clear();
    arrivalCount = 0;
    let server = serve(env);
    try {
      await waitHealthy(PORT);
      log(`-- ${name}; server pid ${server.pid}; load average ${loadavg()}`);
      const stats0 = await writeStats(db);
      const paced = await measureCpu(server.pid!, () => pacedRun(patcher), args.database);
      const peak = peakRssMb(server.pid!);
      const r = paced.result;
      log(
        `2. ${r.offered} changes offered at ${RATE}/s for ${DURATION} s: ${r.committed.size} committed ` +
          `(${(r.committed.size / DURATION).toFixed(0)}/s), ${r.skipped} skipped with ${MAX_PENDING_UPDATES} PATCHes pending, ` +
          `${r.conflicts} lost on version, ${r.failed} failed; to ${ENDPOINTS} endpoints: ` +
          `${r.delivered}/${r.committed.size * ENDPOINTS} delivered${r.complete ? '' : ' (TIMED OUT)'}, ${r.lost} lost, ` +
          `${r.duplicates} duplicates; transaction → receiver p50 ${pct(r.latencies, 50)} ms, p99 ${pct(r.latencies, 99)} ms, ` +
          `max ${pct(r.latencies, 100)} ms; PATCH answer → receiver p50 ${pct(r.fromAnswer, 50)} ms, ` +
          `p99 ${pct(r.fromAnswer, 99)} ms; PATCH answered in p50 ${pct(r.patchMs, 50).toFixed(0)} ms, ` +
          `p99 ${pct(r.patchMs, 99).toFixed(0)} ms`,
      );
      log(
        `   CPU over the run (${r.wall.toFixed(0)} s): server ${((paced.server / r.wall) * 100).toFixed(0)}% of a core, ` +
          `PostgreSQL ${((paced.postgres / r.wall) * 100).toFixed(0)}%, this process (load + receivers) ` +
          `${((paced.client / r.wall) * 100).toFixed(0)}%; server peak RSS ${peak.toFixed(0)} MB; load average ${loadavg()}`,
      );
      // The server stops so that its backends' statistics are flushed (they are on exit).
      await stopServer(server);
      const stats1 = await writeStats(db);
      log(
        `   this database's backends: ${((paced.database / r.wall) * 100).toFixed(0)}% of a core, ` +
          `${((paced.database * 1000) / Math.max(1, r.committed.size)).toFixed(2)} ms CPU per change (with its ` +
          `${ENDPOINTS} deliveries); per change:\n${statsDelta(stats0, stats1, r.committed.size)}`,
      );
      arrivals.clear();
      arrivalCount = 0;
      await db.transaction(async (tx) => {
        for (let i = 0; i < BACKLOG; i++)
          await enqueueWebhook(tx, 'customer.updated', { id: randomUUID(), version: 1 });
      });
      const stats2 = await writeStats(db);
      server = serve(env);
      await waitHealthy(PORT);
      const b0 = performance.now();
      const drained = await measureCpu(
        server.pid!,
        () => waitFor(() => arrivals.size >= BACKLOG * ENDPOINTS, 300_000),
        args.database,
      );
      const done = drained.result;
      const secs = (performance.now() - b0) / 1000;
      const rate = arrivals.size / secs;
      await stopServer(server);
      const stats3 = await writeStats(db);
      log(
        `3. backlog of ${BACKLOG} events × ${ENDPOINTS} endpoints: ${arrivals.size} deliveries in ${secs.toFixed(1)} s = ` +
          `${rate.toFixed(0)} deliveries/s${done ? '' : ' (TIMED OUT)'} (from the server's start); server ` +
          `${((drained.server / secs) * 100).toFixed(0)}% of a core, this database's backends ` +
          `${((drained.database / secs) * 100).toFixed(0)}% (${((drained.database * 1e6) / Math.max(1, arrivals.size)).toFixed(0)} µs ` +
          `per delivery), all PostgreSQL ${((drained.postgres / secs) * 100).toFixed(0)}%; load average ${loadavg()}; ` +
          `per delivery:\n${statsDelta(stats2, stats3, arrivals.size)}`,
      );
      summary.push(
        `${name}: ${(r.committed.size / DURATION).toFixed(0)} changes/s committed, p50 ${pct(r.latencies, 50)} ms, ` +
          `p99 ${pct(r.latencies, 99)} ms (from the PATCH's answer ${pct(r.fromAnswer, 50)} / ${pct(r.fromAnswer, 99)} ms), ` +
          `${r.lost} lost, ${r.duplicates} duplicates; backlog ${rate.toFixed(0)} deliveries/s`,
      );
    } finally {
      if (server.exitCode === null && server.signalCode === null) await stopServer(server);
    }
  }
  log(summary.join('\n'));
  patcher.agent.destroy();
  for (const s of servers) s.close();
  await db.close();
}

/** Write counts of this database's tables (pg_stat_user_tables) and its transactions, once every backend flushed. */
interface WriteStats {
  tables: Map<string, { ins: number; upd: number; hot: number; del: number; indexes: number }>;
  xacts: number;
}

async function writeStats(db: Db): Promise<WriteStats> {
  // A backend flushes its counts at most once a second (and when it goes idle or exits).
  await sleep(1500);
  const rows = await db.query<{ relname: string; ins: number; upd: number; hot: number; del: number; indexes: number }>(
    `SELECT t.relname, t.n_tup_ins AS ins, t.n_tup_upd AS upd, t.n_tup_hot_upd AS hot, t.n_tup_del AS del,
       (SELECT count(*) FROM pg_index i WHERE i.indrelid = t.relid) AS indexes
     FROM pg_stat_user_tables t`,
  );
  const [x] = await db.query<{ n: number }>(
    'SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()',
  );
  return { tables: new Map(rows.map((r) => [r.relname, r])), xacts: x.n };
}

/**
 * Rows inserted, updated (of which HOT), deleted per unit, by table; index entries written: an inserted row
 * and a non-HOT update write one in each index (an upper bound: a partial index skips rows outside it).
 */
function statsDelta(a: WriteStats, b: WriteStats, units: number): string {
  const per = (n: number) => (n / Math.max(1, units)).toFixed(2);
  const lines: string[] = [];
  let entries = 0;
  for (const [table, after] of [...b.tables].sort(([x], [y]) => x.localeCompare(y))) {
    const before = a.tables.get(table) ?? { ins: 0, upd: 0, hot: 0, del: 0, indexes: after.indexes };
    const ins = after.ins - before.ins;
    const upd = after.upd - before.upd;
    const hot = after.hot - before.hot;
    const del = after.del - before.del;
    if (ins + upd + del === 0) continue;
    const idx = (ins + upd - hot) * after.indexes;
    entries += idx;
    lines.push(
      `     ${table}: ${per(ins)} inserted, ${per(upd)} updated (${per(hot)} HOT), ${per(del)} deleted; ` +
        `≤ ${per(idx)} index entries (${after.indexes} indexes)`,
    );
  }
  lines.push(
    `     in all ≤ ${per(entries)} index entries; ${per(b.xacts - a.xacts)} transactions (a statement alone is one)`,
  );
  return lines.join('\n');
}

/** Paced PATCHes: an open loop at RATE/s, a change skipped when MAX_PENDING_UPDATES are unanswered. */
async function pacedRun(patcher: Patcher) {
  const committed = new Map<string, number>(); // `${id}:${version}` → when its PATCH was answered (ms)
  const t0 = Date.now();
  let offered = 0;
  let skipped = 0;
  let conflicts = 0;
  let failed = 0;
  const inFlight = new Set<Promise<void>>();
  const patchMs: number[] = [];
  while (Date.now() - t0 < DURATION * 1000) {
    const due = Math.floor(((Date.now() - t0) / 1000) * RATE);
    while (offered < due) {
      offered++;
      if (inFlight.size >= MAX_PENDING_UPDATES) {
        skipped++;
        continue;
      }
      const sentAt = performance.now();
      const p: Promise<void> = patcher
        .update()
        .then((c) => {
          patchMs.push(performance.now() - sentAt);
          if (c === null) conflicts++;
          else committed.set(c, Date.now());
        })
        .catch(() => void failed++)
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await sleep(2);
  }
  await Promise.all(inFlight);
  const expected = committed.size * ENDPOINTS;
  const delivered = () => {
    let n = 0;
    for (const a of arrivals.values()) if (committed.has(a.record.slice(a.record.indexOf('|') + 1))) n++;
    return n;
  };
  const complete = await waitFor(() => arrivals.size >= expected && delivered() >= expected, 120_000);
  const wall = (Date.now() - t0) / 1000;
  const latencies: number[] = [];
  let duplicates = 0;
  const got = new Set<string>();
  for (const a of arrivals.values()) {
    duplicates += a.times.length - 1;
    got.add(a.record);
    latencies.push(a.times[0] - a.eventAt);
  }
  let lost = 0;
  for (const c of committed.keys()) for (let i = 0; i < ENDPOINTS; i++) if (!got.has(`${i}|${c}`)) lost++;
  // From the PATCH's answer (after its commit: a lower bound, negative when the webhook arrived first).
  const fromAnswer: number[] = [];
  for (const a of arrivals.values()) {
    const answered = committed.get(a.record.slice(a.record.indexOf('|') + 1));
    if (answered !== undefined) fromAnswer.push(a.times[0] - answered);
  }
  return {
    offered,
    skipped,
    conflicts,
    failed,
    committed,
    delivered: got.size,
    lost,
    duplicates,
    latencies,
    complete,
    wall,
    patchMs,
    fromAnswer,
  };
}

await main();
