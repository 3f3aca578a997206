/**
 * Screen-pop benchmark (issue 6), PostgreSQL:
 *   1. `GET /api/v1/lookup?phone=` with a lookup-only key over HTTP (autocannon),
 *      mixed formats, 10% unknown numbers; and, as the same-script baseline, the
 *      lookup's SQL (customers/screen-pop.ts lookupMatches, with the same phone
 *      normalisation) through the driver at the same concurrency;
 *   2. `POST /api/v1/interactions` naming an agent who is connected over SSE:
 *      the time from sending the POST to the `screen.pop` arriving on the stream.
 *
 *   npx tsx bench/screenpop-bench.ts               # generate once (kept), then measure
 *   npx tsx bench/screenpop-bench.ts --fresh       # drop the database first
 *   npx tsx bench/screenpop-bench.ts --generate-only   # load the data, measure nothing
 *   npx tsx bench/screenpop-bench.ts --lookup-only     # the 50-connection lookup and the direct baseline
 *                                                      # only, for comparing changes (RESULTS.md untouched)
 *   npx tsx bench/screenpop-bench.ts --lookup-only --workers 1,2,3 [--replica postgres://…:5433/sb_bench_interactions]
 *                     # the same lookup run with each number of server processes (`serve --workers N`), then
 *                     # with the most of them reading from a streaming replica; a table with the ratio to
 *                     # the direct baseline and the CPU per lookup (server processes, PostgreSQL, load generator)
 *   npx tsx bench/screenpop-bench.ts --connector [--crm-delay 20]
 *                     # the lookup with a generic HTTP connector added (a CRM played by this process, answering
 *                     # after --crm-delay ms): order `local` (the baseline) against `local_then_external`, known
 *                     # callers (answered locally) and unknown ones (the CRM is asked) apart (RESULTS.md untouched)
 *
 * Data (database `sb_bench_interactions`, kept between runs): 1M customers with
 * ~2M phones (bench/customers-generate.ts), 3M cases (bench/cases-generate.ts,
 * no spread follow-ups), 2M earlier interactions (bench/screenpop-generate.ts).
 * Options: --scale 1, --duration 15, --connections 50, --lookup-rate 200 (the paced run: about twice the lookups of a 2,000-agent center at peak), --pop-concurrency 10,
 * --agents 10, --pool 20 (the server's PG_POOL_SIZE and the direct baseline's pool),
 * --pg postgres://postgres@127.0.0.1:5432/postgres, --port 3937.
 * Results go to bench/RESULTS.md (the Interactions section).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { openPostgres, type Db } from '../src/db/adapter.js';
import { migrate } from '../src/db/migrate.js';
import { normalisePhone, phoneLookupKeys } from '../src/modules/customers/phones.js';
import { lookupMatches, type MatchOptions } from '../src/modules/customers/screen-pop.js';
import { AuthService } from '../src/modules/users/auth-service.js';
import { UsersService } from '../src/modules/users/service.js';
import { SseClient } from '../test/sse-client.js';
import { generateCases } from './cases-generate.js';
import { generateCustomers } from './customers-generate.js';
import {
  ensureBenchDatabase,
  fmt as fmtStats,
  formats as phoneFormats,
  log,
  measureCpu,
  peakRssMb,
  ROOT,
  runDirect,
  runHttp,
  runPaced,
  shuffle,
  startServer,
  stats,
  stopServer,
  waitHealthy,
  type Stats,
} from './lib.js';
import { generateInteractions } from './screenpop-generate.js';

const { values: args } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    duration: { type: 'string', default: '15' },
    connections: { type: 'string', default: '50' },
    'pop-concurrency': { type: 'string', default: '10' },
    'pop-rate': { type: 'string', default: '50' },
    'light-connections': { type: 'string', default: '10' },
    'lookup-rate': { type: 'string', default: '200' },
    agents: { type: 'string', default: '10' },
    fresh: { type: 'boolean', default: false },
    'generate-only': { type: 'boolean', default: false },
    'lookup-only': { type: 'boolean', default: false },
    workers: { type: 'string', default: '1' },
    replica: { type: 'string', default: '' },
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    pool: { type: 'string', default: '20' },
    port: { type: 'string', default: '3937' },
    connector: { type: 'boolean', default: false },
    'crm-delay': { type: 'string', default: '20' },
  },
});
const SCALE = Number(args.scale);
const CUSTOMERS = Math.round(1_000_000 * SCALE);
const CASES = Math.round(3_000_000 * SCALE);
const INTERACTIONS = Math.round(2_000_000 * SCALE);
const DURATION = Number(args.duration);
const CONNECTIONS = Number(args.connections);
const POP_CONCURRENCY = Number(args['pop-concurrency']);
/** Calls per second of the paced POST run (a 2,000-agent center at peak: ~2,000 agents / 40 s per call). */
const POP_RATE = Number(args['pop-rate']);
/** An extra, lighter lookup run: the latency when the box is not saturated. */
const LIGHT = Number(args['light-connections']);
/** The paced lookup run's total rate (per second, over all the connections): busy, not saturated. */
const LOOKUP_RATE = Number(args['lookup-rate']);
const AGENTS = Number(args.agents);
const PORT = Number(args.port);
const REGION = 'US';
/** PG_POOL_SIZE of the server, and the direct baseline's pool (default: the server's default). */
const POOL = Number(args.pool);
const PG_DB = SCALE === 1 ? 'sb_bench_interactions' : `sb_bench_interactions_${String(SCALE).replace('.', '_')}`;
const pgUrl = (() => {
  const u = new URL(args.pg!);
  u.pathname = `/${PG_DB}`;
  return u.toString();
})();
const BASE = `http://127.0.0.1:${PORT}`;
const fmt = (s: Stats) => fmtStats(s, { unit: '/s', max: true });

// ------------------------------------------------------------------ inputs

/** One number in the formats people and platforms send (7 of them, with "011 1 …"). */
const formats = (e164: string, i: number) => phoneFormats(e164, i, { with011: true });

/** Valid US numbers in area codes the generator never uses (bench/customers-generate.ts): nobody has them. */
function unknownNumbers(n: number): string[] {
  const areas = ['458', '463', '470', '475', '539', '564', '640', '657', '667', '680', '726', '743', '838', '854'];
  const out: string[] = [];
  for (let i = 0; out.length < n && i < n * 20; i++) {
    const a = areas[i % areas.length];
    const e164 = `+1${a}${200 + ((i * 37) % 700)}${String((i * 7919) % 10000).padStart(4, '0')}`;
    if (normalisePhone(e164, REGION).valid) out.push(e164);
  }
  return out;
}

/** 90% numbers customers have, 10% numbers nobody has, each in one of the mixed formats. */
function mixedPhones(known: string[]): { phone: string; known: boolean }[] {
  const unknown = unknownNumbers(Math.ceil(known.length / 9));
  const all = [
    ...known.map((e, i) => ({ phone: formats(e, i), known: true })),
    ...unknown.map((e, i) => ({ phone: formats(e, i + 3), known: false })),
  ];
  return shuffle(all);
}

// ------------------------------------------------------------------ setup

async function count(db: Db, sql: string): Promise<number> {
  return (await db.query<{ n: number }>(sql))[0].n;
}

async function ensureAgents(db: Db): Promise<string[]> {
  await db.query(
    `INSERT INTO users (email, password_hash, first_name, last_name, role)
     SELECT 'pop-agent-' || g || '@bench.local', 'no-login', 'Agent', g::text, 'agent'
     FROM generate_series(1, $1::int) g ON CONFLICT DO NOTHING`,
    [Math.max(AGENTS, 20)],
  );
  const rows = await db.query<{ id: string }>(
    `SELECT id FROM users WHERE email LIKE 'pop-agent-%@bench.local' ORDER BY email`,
  );
  return rows.map((r) => r.id);
}

async function apiKey(db: Db, userId: string, scope: 'full' | 'lookup'): Promise<string> {
  const config = loadConfig({ ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1', LOG_LEVEL: 'silent' });
  const auth = new AuthService(db, config, new UsersService(db, config));
  return (await auth.createApiKey(null, { userId, scope, name: `bench ${scope}` })).key;
}

// ------------------------------------------------------------------ the pop

interface PopResult {
  post: Stats;
  pop: Stats;
  lost: number;
  wrongAgent: number;
}

/**
 * POSTs interactions naming agents whose streams are open, `POP_CONCURRENCY`
 * at a time, and times each from the POST being sent to its pop arriving.
 */
async function runPops(
  keys: { agentId: string; key: string }[],
  platformKey: string,
  phones: string[],
  seconds: number,
  tag: string,
  mode: { concurrency: number } | { rate: number },
): Promise<PopResult> {
  const sent = new Map<string, { t: number; agent: string }>();
  const popLatencies: number[] = [];
  let wrongAgent = 0;
  const streams = await Promise.all(
    keys.map(({ agentId, key }) =>
      SseClient.open(`${BASE}/api/v1/events`, {
        headers: { authorization: `Bearer ${key}` },
        keep: false,
        onEvent: (m) => {
          if (m.event !== 'screen.pop') return;
          const at = performance.now();
          const ref = (JSON.parse(m.data) as { interaction: { reference: string } }).interaction.reference;
          const s = sent.get(ref);
          if (!s) return;
          if (s.agent !== agentId) wrongAgent++;
          popLatencies.push(at - s.t);
          sent.delete(ref);
        },
      }),
    ),
  );
  const postLatencies: number[] = [];
  let errors = 0;
  let i = 0;
  const post = async (n: number) => {
    const agent = keys[n % keys.length].agentId;
    const reference = `${tag}-${n}`;
    const t = performance.now();
    sent.set(reference, { t, agent });
    const res = await fetch(`${BASE}/api/v1/interactions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${platformKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        channel: 'phone',
        direction: 'inbound',
        from: phones[n % phones.length],
        to: '+1 800 555 0000',
        agentId: agent,
        reference,
      }),
    });
    await res.arrayBuffer();
    if (res.status === 201) postLatencies.push(performance.now() - t);
    else {
      errors++;
      sent.delete(reference);
    }
  };
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  if ('rate' in mode) {
    // Open loop: calls arrive at a steady rate, whether or not earlier ones are done (as a platform sends them).
    const inFlight: Promise<void>[] = [];
    for (let n = 0; ; n++) {
      const due = t0 + (n * 1000) / mode.rate;
      if (due >= end) break;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      inFlight.push(post(n).catch(() => void errors++));
    }
    await Promise.all(inFlight);
  } else {
    await Promise.all(
      Array.from({ length: mode.concurrency }, async () => {
        while (performance.now() < end) await post(i++);
      }),
    );
  }
  const elapsed = (performance.now() - t0) / 1000;
  // Pops still on their way.
  for (let w = 0; w < 100 && sent.size > 0; w++) await new Promise((r) => setTimeout(r, 50));
  const lost = sent.size;
  for (const s of streams) s.close();
  return {
    post: stats(postLatencies, elapsed, errors),
    pop: stats(popLatencies, elapsed, 0),
    lost,
    wrongAgent,
  };
}

// ------------------------------------------------------------------ main

interface Sizes {
  customers: number;
  phones: number;
  cases: number;
  openCases: number;
  interactions: number;
}

async function main(): Promise<void> {
  log(`Screen-pop benchmark: PostgreSQL, ${CONNECTIONS} connections, ${DURATION} s per run`);
  await ensureBenchDatabase(args.pg!, PG_DB, Boolean(args.fresh));
  const db = openPostgres({ url: pgUrl, poolSize: 4, statementTimeoutMs: 3_600_000 });
  const generated: string[] = [];
  let agents: string[];
  try {
    await migrate(db);
    agents = await ensureAgents(db);
    if ((await count(db, 'SELECT count(*) AS n FROM customers')) < CUSTOMERS) {
      log('Generating customers (bench/customers-generate.ts)…');
      const g = await generateCustomers(db, CUSTOMERS, log);
      generated.push(`customers ${g.seconds.total.toFixed(0)} s`);
    }
    if ((await count(db, 'SELECT count(*) AS n FROM cases')) === 0) {
      log('Generating cases (bench/cases-generate.ts)…');
      const g = await generateCases(pgUrl, { cases: CASES, followUps: 0, agents, busyAgent: agents[0], log });
      generated.push(`cases ${g.seconds.total.toFixed(0)} s`);
    }
    if ((await count(db, `SELECT count(*) AS n FROM interactions WHERE reference LIKE 'hist-%'`)) === 0) {
      log('Generating earlier interactions (bench/screenpop-generate.ts)…');
      const g = await generateInteractions(db, INTERACTIONS, agents, log);
      generated.push(`interactions ${g.seconds.toFixed(0)} s`);
    }
  } catch (err) {
    await db.close();
    throw err;
  }
  const sizes: Sizes = (
    await db.query<Sizes>(
      `SELECT (SELECT count(*) FROM customers) AS customers, (SELECT count(*) FROM customer_phones) AS phones,
              (SELECT count(*) FROM cases) AS cases, (SELECT count(*) FROM cases WHERE is_open) AS "openCases",
              (SELECT count(*) FROM interactions) AS interactions`,
    )
  )[0];
  log(`Data: ${JSON.stringify(sizes)}`);
  if (args['generate-only']) {
    await db.close();
    return;
  }
  const known = (
    await db.query<{ e164: string }>(
      `SELECT p.e164 FROM customer_phones p TABLESAMPLE SYSTEM (1) JOIN customers c ON c.id = p.customer_id
       WHERE p.valid AND NOT c.draft LIMIT 5000`,
    )
  ).map((r) => r.e164);
  const inputs = mixedPhones(shuffle(known));
  const lookupUser = agents[agents.length - 1];
  const lookupKey = await apiKey(db, lookupUser, 'lookup');
  const platformKey = await apiKey(db, agents[agents.length - 2], 'full');
  const agentKeys = await Promise.all(
    agents.slice(0, AGENTS).map(async (agentId) => ({ agentId, key: await apiKey(db, agentId, 'full') })),
  );
  // The plan of one phone lookup at this size (the single indexed statement).
  const sample = inputs.find((x) => x.known)!.phone;
  const opts = { limit: 10, cases: 'public', openCases: 5, interactions: 3, excludeInteractionId: null } as const;
  let plan = '';
  await lookupMatches(
    {
      query: async <T>(sql: string, params?: readonly unknown[]) => {
        // One statement: both tiers (the last digits only for numbers the exact tier did not answer).
        if (plan) return [] as T[];
        const rows = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
        plan = rows.map((r) => r['QUERY PLAN']).join('\n');
        return [] as T[];
      },
      exec: async () => undefined,
    },
    { by: 'phone', keys: phoneLookupKeys(sample, REGION) },
    opts,
  );
  const execution = /Execution Time: ([\d.]+) ms/.exec(plan)?.[1] ?? '?';
  const usesIndexes = !/Seq Scan/.test(plan);
  log(`EXPLAIN ANALYZE of one phone lookup: ${execution} ms, ${usesIndexes ? 'index scans only' : 'HAS A SEQ SCAN'}`);
  await db.close();

  const lookupUrls = inputs.map((x) => `/api/v1/lookup?phone=${encodeURIComponent(x.phone)}`);
  const lookupHeaders = { authorization: `Bearer ${lookupKey}` };
  if (args['lookup-only'] && (args.workers !== '1' || args.replica)) {
    await scaleOut(lookupUrls, lookupHeaders, inputs, opts);
    return;
  }
  if (args.connector) {
    await connectorRuns(inputs, lookupHeaders);
    return;
  }
  log('Starting the server…');
  const server = startServer(PORT, { DEFAULT_PHONE_REGION: REGION, DATABASE_URL: pgUrl, PG_POOL_SIZE: String(POOL) });
  let httpLookup: Stats;
  let httpLight: Stats;
  let httpPaced: Stats;
  let pops: PopResult;
  let popsMax: PopResult;
  let checks: { knownFound: number; unknownNotFound: number; checked: number };
  let rssMb: number;
  let cpu: CpuPerLookup;
  try {
    await waitHealthy(PORT);
    // Correctness first: known numbers are found, unknown ones are not.
    let knownFound = 0;
    let unknownNotFound = 0;
    const checked = inputs.slice(0, 300);
    for (const [n, x] of checked.entries()) {
      const r = await fetch(`${BASE}${lookupUrls[n]}`, { headers: lookupHeaders });
      if (!r.ok) throw new Error(`${lookupUrls[n]}: ${r.status} ${await r.text()}`);
      const body = (await r.json()) as { result: string };
      if (x.known && body.result !== 'not_found') knownFound++;
      if (!x.known && body.result === 'not_found') unknownNotFound++;
    }
    checks = { knownFound, unknownNotFound, checked: checked.length };
    log(`Checks: ${JSON.stringify(checks)}`);
    log('Warm-up…');
    await runHttp(PORT, lookupUrls, lookupHeaders, 3, CONNECTIONS);
    log('HTTP lookup…');
    const measured = await measureCpu(server.pid!, () =>
      runHttp(PORT, lookupUrls, lookupHeaders, DURATION, CONNECTIONS),
    );
    httpLookup = measured.result;
    const perLookup = (seconds: number) => (seconds * 1e6) / httpLookup.n;
    cpu = {
      server: perLookup(measured.server),
      postgres: perLookup(measured.postgres),
      client: perLookup(measured.client),
    };
    log(`  ${fmt(httpLookup)}`);
    log(
      `  CPU per lookup: server ${cpu.server.toFixed(0)} µs, PostgreSQL ${cpu.postgres.toFixed(0)} µs, ` +
        `load generator ${cpu.client.toFixed(0)} µs`,
    );
    if (args['lookup-only']) {
      await stopServer(server);
      await directBaseline(inputs, opts);
      return;
    }
    log(`HTTP lookup, ${LIGHT} connections…`);
    httpLight = await runHttp(PORT, lookupUrls, lookupHeaders, DURATION, LIGHT);
    log(`  ${fmt(httpLight)}`);
    log(`HTTP lookup, ${CONNECTIONS} connections paced to ${LOOKUP_RATE}/s in all…`);
    httpPaced = await runPaced(PORT, lookupUrls, lookupHeaders, DURATION, CONNECTIONS, LOOKUP_RATE);
    log(`  ${fmt(httpPaced)}`);
    const tag = `bench-${Date.now()}`;
    const phones = inputs.map((x) => x.phone);
    await runPops(agentKeys, platformKey, phones.slice(0, 200), 3, `${tag}-warm`, { concurrency: POP_CONCURRENCY });
    log(`POST → pop, ${POP_RATE} calls/s arriving steadily (${AGENTS} agents on SSE)…`);
    pops = await runPops(agentKeys, platformKey, phones, DURATION, `${tag}-paced`, { rate: POP_RATE });
    log(`  POST: ${fmt(pops.post)}`);
    log(`  pop:  ${fmt(pops.pop)}; lost ${pops.lost}, to the wrong agent ${pops.wrongAgent}`);
    log(`POST → pop, ${POP_CONCURRENCY} POSTs at a time back to back (capacity)…`);
    popsMax = await runPops(agentKeys, platformKey, phones, DURATION, `${tag}-max`, { concurrency: POP_CONCURRENCY });
    log(`  POST: ${fmt(popsMax.post)}`);
    log(`  pop:  ${fmt(popsMax.pop)}; lost ${popsMax.lost}, to the wrong agent ${popsMax.wrongAgent}`);
    rssMb = peakRssMb(server.pid!);
  } finally {
    await stopServer(server);
  }

  const { direct, version, sharedBuffers } = await directBaseline(inputs, opts);
  writeResults({
    sharedBuffers,
    httpPaced,
    sizes,
    generated,
    httpLookup,
    httpLight,
    direct,
    pops,
    popsMax,
    checks,
    rssMb,
    cpu,
    version,
    execution,
    usesIndexes,
    inputs: inputs.length,
  });
}

/**
 * The 50-connection lookup with each `--workers` count, and with the most of
 * them reading from `--replica`, then the direct baseline; one table.
 */
async function scaleOut(
  urls: string[],
  headers: Record<string, string>,
  inputs: { phone: string }[],
  opts: MatchOptions,
): Promise<void> {
  const counts = args.workers!.split(',').map(Number);
  const most = Math.max(...counts);
  const runs = counts.map((n) => ({ label: `${n} server process${n > 1 ? 'es' : ''}`, n, env: {} }));
  if (args.replica) {
    runs.push({
      label: `${most} processes, reads on the replica`,
      n: most,
      env: { DATABASE_REPLICA_URL: args.replica },
    });
  }
  const rows: { label: string; stats: Stats; cpu: CpuPerLookup }[] = [];
  for (const run of runs) {
    log(`${run.label}…`);
    const server = startServer(
      PORT,
      { DEFAULT_PHONE_REGION: REGION, DATABASE_URL: pgUrl, PG_POOL_SIZE: String(POOL), ...run.env },
      run.n > 1 ? ['--workers', String(run.n)] : [],
    );
    try {
      await waitHealthy(PORT);
      await runHttp(PORT, urls, headers, 3, CONNECTIONS);
      const measured = await measureCpu(server.pid!, () => runHttp(PORT, urls, headers, DURATION, CONNECTIONS));
      const stats = measured.result;
      const per = (seconds: number) => (seconds * 1e6) / stats.n;
      const cpu = { server: per(measured.server), postgres: per(measured.postgres), client: per(measured.client) };
      rows.push({ label: run.label, stats, cpu });
      log(
        `  ${fmt(stats)}; CPU per lookup: server ${cpu.server.toFixed(0)} µs, PostgreSQL ${cpu.postgres.toFixed(0)} µs`,
      );
    } finally {
      await stopServer(server);
    }
  }
  const { direct } = await directBaseline(inputs, opts);
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' / ');
  const cpus = os.cpus();
  log('');
  log(
    `${cpus.length} cores (${cpus[0]?.model.trim()}), Node ${process.version}; ${CONNECTIONS} connections, ` +
      `${DURATION} s per run, pool ${POOL} per process; load average after: ${load}`,
  );
  log('');
  log(
    '| server | lookups/s | p50 ms | p99 ms | ÷ direct | CPU µs per lookup: server / PostgreSQL / load generator | errors |',
  );
  log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    log(
      `| ${r.label} | ${r.stats.rps.toFixed(0)} | ${r.stats.p50.toFixed(2)} | ${r.stats.p99.toFixed(2)} | ` +
        `${(r.stats.rps / direct.rps).toFixed(2)} | ${r.cpu.server.toFixed(0)} / ${r.cpu.postgres.toFixed(0)} / ` +
        `${r.cpu.client.toFixed(0)} | ${r.stats.errors} |`,
    );
  }
  log(
    `| direct baseline: the lookup's SQL through \`pg\` (pool ${POOL}) | ${direct.rps.toFixed(0)} | ` +
      `${direct.p50.toFixed(2)} | ${direct.p99.toFixed(2)} | 1.00 | — | ${direct.errors} |`,
  );
}

interface ConnectorRow {
  order: string;
  callers: string;
  run: string;
  stats: Stats;
  crmCalls: number;
}

/**
 * `--connector`: the lookup with a generic HTTP connector added, under order
 * `local` (the baseline: the connector is never asked) and
 * `local_then_external` (asked only when nothing local matched), for known
 * and unknown callers apart, each paced at --lookup-rate and then saturated
 * with --connections. The CRM is a server in this process that answers every
 * lookup with no match after --crm-delay ms (inside the 300 ms budget).
 */
async function connectorRuns(inputs: { phone: string; known: boolean }[], headers: Record<string, string>) {
  const crmDelay = Number(args['crm-delay']);
  const db = openPostgres({ url: pgUrl, poolSize: 2, statementTimeoutMs: 60_000 });
  let adminKey: string;
  try {
    await db.query(
      `INSERT INTO users (email, password_hash, first_name, last_name, role)
       VALUES ('bench-admin@bench.local', 'no-login', 'Bench', 'Admin', 'admin') ON CONFLICT DO NOTHING`,
    );
    const [admin] = await db.query<{ id: string }>(`SELECT id FROM users WHERE email = 'bench-admin@bench.local'`);
    adminKey = await apiKey(db, admin.id, 'full');
  } finally {
    await db.close();
  }
  let crmCalls = 0;
  const crm = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      crmCalls++;
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"matches":[]}');
      }, crmDelay);
    });
  });
  await new Promise<void>((resolve) => crm.listen(0, '127.0.0.1', resolve));
  const crmUrl = `http://127.0.0.1:${(crm.address() as AddressInfo).port}`;
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${BASE}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
  const CONNECTORS = '/api/v1/integrations/connectors';
  log('Starting the server…');
  const server = startServer(PORT, {
    DEFAULT_PHONE_REGION: REGION,
    DATABASE_URL: pgUrl,
    PG_POOL_SIZE: String(POOL),
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
  });
  const rows: ConnectorRow[] = [];
  try {
    await waitHealthy(PORT);
    const existing = (await fetch(`${BASE}${CONNECTORS}`, { headers: { authorization: `Bearer ${adminKey}` } }).then(
      (r) => r.json(),
    )) as { id: string; system: string }[];
    for (const c of existing.filter((x) => x.system === 'benchcrm')) await api('DELETE', `${CONNECTORS}/${c.id}`);
    await api('POST', CONNECTORS, { kind: 'http', name: 'Bench CRM', system: 'benchcrm', baseUrl: crmUrl });
    const urls = (known: boolean) =>
      inputs.filter((x) => x.known === known).map((x) => `/api/v1/lookup?phone=${encodeURIComponent(x.phone)}`);
    const callers = [
      { callers: 'known', urls: urls(true) },
      { callers: 'unknown', urls: urls(false) },
    ];
    for (const order of ['local', 'local_then_external']) {
      const { version } = await api('GET', `${CONNECTORS}/settings`);
      await api('PUT', `${CONNECTORS}/settings`, { lookupOrder: order, version });
      for (const c of callers) {
        await runHttp(PORT, c.urls, headers, 3, CONNECTIONS);
        for (const run of [`paced ${LOOKUP_RATE}/s`, `${CONNECTIONS} connections`]) {
          const before = crmCalls;
          log(`${order}, ${c.callers} callers, ${run}…`);
          const stats = run.startsWith('paced')
            ? await runPaced(PORT, c.urls, headers, DURATION, CONNECTIONS, LOOKUP_RATE)
            : await runHttp(PORT, c.urls, headers, DURATION, CONNECTIONS);
          rows.push({ order, callers: c.callers, run, stats, crmCalls: crmCalls - before });
          log(`  ${fmt(stats)}; CRM asked ${crmCalls - before} times`);
        }
      }
    }
  } finally {
    await stopServer(server);
    crm.close();
  }
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' / ');
  log('');
  log(
    `${os.cpus().length} cores, Node ${process.version}; ${DURATION} s per run, pool ${POOL}; ` +
      `the CRM answers after ${crmDelay} ms; load average after: ${load}`,
  );
  log('');
  log('| lookup order | callers | run | lookups/s | p50 ms | p95 ms | p99 ms | CRM asked | errors |');
  log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    log(
      `| ${r.order} | ${r.callers} | ${r.run} | ${r.stats.rps.toFixed(0)} | ${r.stats.p50.toFixed(2)} | ` +
        `${r.stats.p95.toFixed(2)} | ${r.stats.p99.toFixed(2)} | ${r.crmCalls} | ${r.stats.errors} |`,
    );
  }
}

/** The same-script baseline: the lookup's SQL through the driver (pool POOL) at the same concurrency. */
async function directBaseline(
  inputs: { phone: string }[],
  opts: MatchOptions,
): Promise<{ direct: Stats; version: string; sharedBuffers: string }> {
  log('Direct (the lookup SQL through the driver, same concurrency)…');
  const db = openPostgres({ url: pgUrl, poolSize: POOL, statementTimeoutMs: 60_000 });
  try {
    const direct = await runDirect(
      CONNECTIONS,
      (i) => lookupMatches(db, { by: 'phone', keys: phoneLookupKeys(inputs[i % inputs.length].phone, REGION) }, opts),
      DURATION,
    );
    log(`  ${fmt(direct)}`);
    const [{ server_version: version }] = await db.query<{ server_version: string }>('SHOW server_version');
    const [{ shared_buffers: sharedBuffers }] = await db.query<{ shared_buffers: string }>('SHOW shared_buffers');
    return { direct, version, sharedBuffers };
  } finally {
    await db.close();
  }
}

/** CPU per lookup (µs) in the 50-connection HTTP run. */
interface CpuPerLookup {
  server: number;
  postgres: number;
  client: number;
}

function writeResults(r: {
  sharedBuffers: string;
  httpPaced: Stats;
  sizes: Sizes;
  generated: string[];
  httpLookup: Stats;
  httpLight: Stats;
  direct: Stats;
  pops: PopResult;
  popsMax: PopResult;
  checks: { knownFound: number; unknownNotFound: number; checked: number };
  rssMb: number;
  cpu: CpuPerLookup;
  version: string;
  execution: string;
  usesIndexes: boolean;
  inputs: number;
}): void {
  const cpu = os.cpus();
  const machine = `${cpu.length} cores (${cpu[0]?.model.trim()}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GB RAM, Node ${process.version}`;
  const n = (x: number) => x.toLocaleString('en');
  const ms = (x: number) => x.toFixed(2);
  const ratio = r.httpLookup.rps / r.direct.rps;
  const ok = (b: boolean) => (b ? 'met' : '**not met**');
  const s = r.sizes;
  const lines = [
    `### PostgreSQL: ${n(s.customers)} customers, ${n(s.phones)} phones, ${n(s.cases)} cases (${n(s.openCases)} open), ${n(s.interactions)} interactions`,
    '',
    `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · ${machine} · PostgreSQL ${r.version} ` +
      `(shared_buffers ${r.sharedBuffers}, other settings as installed) on the same machine · one server process (pool ${POOL}) · ${DURATION} s per run after a 3 s ` +
      `warm-up · \`npx tsx bench/screenpop-bench.ts\`` +
      (r.generated.length ? ` · generated this run: ${r.generated.join(', ')}` : ' · data kept from an earlier run'),
    '',
    `Lookup inputs: ${n(r.inputs)} numbers (sampled from the data, plus 10% numbers nobody has) in 7 formats ` +
      `(\`(415) 555-0100\`, \`+1 415-555-0100\`, \`4155550100\`, \`001 …\`, \`011 1 …\`, \`1-415-…\`, E.164), ` +
      `cycled through by every run. Checks on 300 of them: ${r.checks.knownFound + r.checks.unknownNotFound}/${r.checks.checked} ` +
      `answered right (known → found/multiple, unknown → not_found). One phone lookup: EXPLAIN ANALYZE ` +
      `${r.execution} ms, ${r.usesIndexes ? 'index scans only' : 'with a sequential scan'}.`,
    '',
    '| measure | rate | p50 ms | p95 ms | p99 ms | max ms | errors |',
    '|---|---|---|---|---|---|---|',
    `| \`GET /api/v1/lookup?phone=\`, lookup-only key, HTTP, ${CONNECTIONS} connections | ${r.httpLookup.rps.toFixed(0)} req/s | ${ms(r.httpLookup.p50)} | ${ms(r.httpLookup.p95)} | ${ms(r.httpLookup.p99)} | ${r.httpLookup.max.toFixed(1)} | ${r.httpLookup.errors} |`,
    `| the same, ${LIGHT} connections (not saturated; for reference) | ${r.httpLight.rps.toFixed(0)} req/s | ${ms(r.httpLight.p50)} | ${ms(r.httpLight.p95)} | ${ms(r.httpLight.p99)} | ${r.httpLight.max.toFixed(1)} | ${r.httpLight.errors} |`,
    `| the same, ${CONNECTIONS} connections paced to ${LOOKUP_RATE}/s in all (busy, not saturated) | ${r.httpPaced.rps.toFixed(0)} req/s | ${ms(r.httpPaced.p50)} | ${ms(r.httpPaced.p95)} | ${ms(r.httpPaced.p99)} | ${r.httpPaced.max.toFixed(1)} | ${r.httpPaced.errors} |`,
    `| the lookup's SQL through \`pg\` directly (pool ${POOL}), ${CONNECTIONS} concurrent callers | ${r.direct.rps.toFixed(0)} req/s | ${ms(r.direct.p50)} | ${ms(r.direct.p95)} | ${ms(r.direct.p99)} | ${r.direct.max.toFixed(1)} | ${r.direct.errors} |`,
    `| \`POST /api/v1/interactions\`, ${POP_RATE}/s arriving steadily | ${r.pops.post.rps.toFixed(0)} req/s | ${ms(r.pops.post.p50)} | ${ms(r.pops.post.p95)} | ${ms(r.pops.post.p99)} | ${r.pops.post.max.toFixed(1)} | ${r.pops.post.errors} |`,
    `| POST sent → \`screen.pop\` received on the agent's SSE stream (${AGENTS} agents connected), ${POP_RATE}/s | ${n(r.pops.pop.n)} pops | ${ms(r.pops.pop.p50)} | ${ms(r.pops.pop.p95)} | ${ms(r.pops.pop.p99)} | ${r.pops.pop.max.toFixed(1)} | lost ${r.pops.lost}, wrong agent ${r.pops.wrongAgent} |`,
    `| \`POST /api/v1/interactions\`, ${POP_CONCURRENCY} at a time back to back (capacity) | ${r.popsMax.post.rps.toFixed(0)} req/s | ${ms(r.popsMax.post.p50)} | ${ms(r.popsMax.post.p95)} | ${ms(r.popsMax.post.p99)} | ${r.popsMax.post.max.toFixed(1)} | ${r.popsMax.post.errors} |`,
    `| POST sent → \`screen.pop\` received, at capacity | ${n(r.popsMax.pop.n)} pops | ${ms(r.popsMax.pop.p50)} | ${ms(r.popsMax.pop.p95)} | ${ms(r.popsMax.pop.p99)} | ${r.popsMax.pop.max.toFixed(1)} | lost ${r.popsMax.lost}, wrong agent ${r.popsMax.wrongAgent} |`,
    '',
    `Goals: lookup ≥ 50% of the direct rate — ${(ratio * 100).toFixed(0)}%, ${ok(ratio >= 0.5)}; lookup p99 ≤ 10 ms — ` +
      `${ms(r.httpLookup.p99)} ms back to back at ${CONNECTIONS} connections, ${ok(r.httpLookup.p99 <= 10)}; ` +
      `${ms(r.httpPaced.p99)} ms at ${CONNECTIONS} connections paced to ${LOOKUP_RATE}/s, ${ok(r.httpPaced.p99 <= 10)}; POST → pop p99 ≤ 50 ms at ${POP_RATE} calls/s — ${ms(r.pops.pop.p99)} ms, ` +
      `${ok(r.pops.pop.p99 <= 50)}. Server peak RSS (VmHWM): ${r.rssMb.toFixed(0)} MB. CPU per lookup in the ` +
      `${CONNECTIONS}-connection run (from /proc): server ${r.cpu.server.toFixed(0)} µs, PostgreSQL ` +
      `${r.cpu.postgres.toFixed(0)} µs, load generator ${r.cpu.client.toFixed(0)} µs.`,
    '',
    'Reading the figures. The server, PostgreSQL and the load generator share the 2 cores. A phone lookup is ' +
      'one named prepared statement, planned once, holding both tiers: the exact number, and only for numbers ' +
      'no live customer has exactly (10% of these inputs) the last digits, so a new caller is one round trip ' +
      'like a known one; the open-case count and list read a partial index of open cases ' +
      '(`cases_customer_open_idx`); and the server answers all the lookups that arrive in one event-loop turn ' +
      'with one statement (`src/db/coalesce.ts`), so under load one database round trip serves many lookups. ' +
      'That is why HTTP runs faster than the direct baseline, which sends one statement per lookup as the ' +
      "issue describes. Back to back at 50 connections latency is the queue (Little's law: " +
      `${CONNECTIONS} ÷ ${r.httpLookup.rps.toFixed(0)}/s ≈ ${((CONNECTIONS / r.httpLookup.rps) * 1000).toFixed(1)} ms ` +
      'on average, the p99 about twice that); the paced run shows the ' +
      'latency of the same connections when the box is busy but not saturated. The POST → pop path is one transaction (match, insert, history, event) whose event part is ' +
      "serialised by the outbox's advisory lock up to the commit's fsync; at a steady 50 calls/s (a 2,000-agent " +
      'center at peak: ~2,000 agents / 40 s per call) it stays under the goal, and back to back it tops out at ' +
      'the capacity shown.',
  ];
  const block = lines.join('\n');
  const file = path.join(ROOT, 'bench/RESULTS.md');
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const begin = '<!-- interactions:begin -->';
  const end = '<!-- interactions:end -->';
  if (!text.includes(begin))
    text = `${text.trimEnd()}\n\n## Interactions and screen pop (issue 6)\n\n${begin}\n${end}\n`;
  const [head, rest] = text.split(begin);
  const [, tail] = rest.split(end);
  writeFileSync(file, `${head}${begin}\n${block}\n${end}${tail}`);
  log(`Wrote bench/RESULTS.md`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
