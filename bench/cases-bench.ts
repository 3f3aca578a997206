/**
 * Cases benchmark (issue 4): 1M customers, 3M cases, 10M follow-ups on
 * PostgreSQL, then over HTTP on the real server (autocannon):
 *   - a customer's case list          GET /api/v1/customers/{id}/cases
 *   - a case with its last 50 follow-ups GET /api/v1/cases/{id}?include=followUps
 *   - "my open cases" (2,000 open)     GET /api/v1/cases?ownerId=me&status=open
 *   - full-text case search            GET /api/v1/cases?q=…
 *
 *   npx tsx bench/cases-bench.ts                 # generate (once) and measure
 *   npx tsx bench/cases-bench.ts --reuse         # measure again on the kept data
 *
 * Options: --scale 1 (1 = 1M/3M/10M), --duration 15, --connections 10,
 * --pg postgres://postgres@127.0.0.1:5432/postgres (the benchmark uses its own
 * database `sb_bench_cases`, kept between runs), --port 3927, --fresh (drop it first),
 * --own-customers (minimal customer rows instead of bench/customers-generate.ts),
 * --workers N (server processes: `switchboard serve --workers N`; 1 by default),
 * --db NAME (another database than the scale's default), --root DIR (run the server of
 * another checkout, built, e.g. a worktree of the commit being compared against).
 * Results go to bench/RESULTS.md (the Cases section).
 */
import pg from 'pg';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { openPostgres, type Db } from '../src/db/adapter.js';
import { migrate } from '../src/db/migrate.js';
import { AuthService } from '../src/modules/users/auth-service.js';
import { UsersService } from '../src/modules/users/service.js';
import { generateCases, longCaseNumbers, texts, type CasesGenResult } from './cases-generate.js';
import { generateCustomers } from './customers-generate.js';
import {
  ensureBenchDatabase,
  fmt,
  log,
  ROOT,
  runHttp,
  shuffle,
  startServer,
  stopServer,
  waitHealthy,
  type Stats,
} from './lib.js';

const { values: args } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    duration: { type: 'string', default: '15' },
    connections: { type: 'string', default: '10' },
    reuse: { type: 'boolean', default: false },
    workers: { type: 'string', default: '1' },
    fresh: { type: 'boolean', default: false },
    'own-customers': { type: 'boolean', default: false },
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    port: { type: 'string', default: '3927' },
    db: { type: 'string' },
    root: { type: 'string' },
  },
});
const SCALE = Number(args.scale);
const CUSTOMERS = Math.round(1_000_000 * SCALE);
const CASES = Math.round(3_000_000 * SCALE);
const FOLLOW_UPS = Math.round(10_000_000 * SCALE);
const AGENTS = Math.max(20, Math.round(500 * SCALE));
const DURATION = Number(args.duration);
const CONNECTIONS = Number(args.connections);
const PORT = Number(args.port);
const PG_DB =
  args.db ?? (SCALE === 1 ? 'sb_bench_cases' : `sb_bench_cases_${String(SCALE).replace('.', '_')}`);
const POOL = 20;
const WORKERS = Number(args.workers);
const pgUrl = (() => {
  const u = new URL(args.pg!);
  u.pathname = `/${PG_DB}`;
  return u.toString();
})();
/** The load average when the measuring begins (after any generation), reported with the figures. */
let loadAtStart = os.loadavg();

// ------------------------------------------------------------------ setup

const count = async (db: Db, sql: string) => (await db.query<{ n: number }>(sql))[0].n;

/** Agents as plain rows (nobody signs in as them), the busy agent among them. */
async function ensureAgents(db: Db): Promise<{ agents: string[]; busy: string }> {
  await db.query(
    `INSERT INTO users (email, password_hash, first_name, last_name, role)
     SELECT 'bench-agent-' || g || '@bench.local', 'no-login', 'Agent', g::text, 'agent'
     FROM generate_series(1, $1::int) g
     ON CONFLICT DO NOTHING`,
    [AGENTS],
  );
  await db.query(
    `INSERT INTO users (email, password_hash, first_name, last_name, role)
     VALUES ('bench-busy@bench.local', 'no-login', 'Busy', 'Agent', 'agent') ON CONFLICT DO NOTHING`,
  );
  const agents = await db.query<{ id: string }>(
    `SELECT id FROM users WHERE email LIKE 'bench-agent-%@bench.local' ORDER BY email`,
  );
  const [busy] = await db.query<{ id: string }>(`SELECT id FROM users WHERE email = 'bench-busy@bench.local'`);
  return { agents: agents.map((a) => a.id), busy: busy.id };
}

async function createApiKey(db: Db, email: string): Promise<string> {
  const config = loadConfig({ ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1', LOG_LEVEL: 'silent' });
  const users = new UsersService(db, config);
  return (await new AuthService(db, config, users).createApiKey(null, { email, name: 'bench', scope: 'full' })).key;
}

/** Search terms across the vocabulary's frequency ranks: common, middling and rare words, and pairs. */
function searchQueries(): string[] {
  const { vocab } = texts();
  const ranks = [2, 5, 12, 30, 70, 150, 400, 900, 2000, 4500];
  const single = ranks.map((r) => vocab[r - 1]);
  const pairs = ranks.slice(0, 8).map((r, i) => `${vocab[r - 1]} ${vocab[ranks[(i + 3) % ranks.length] - 1]}`);
  return [...single, ...pairs];
}

// ------------------------------------------------------------------ main

async function main(): Promise<void> {
  log(
    `Cases benchmark: ${CUSTOMERS.toLocaleString('en')} customers, ${CASES.toLocaleString('en')} cases, ` +
      `${FOLLOW_UPS.toLocaleString('en')} follow-ups; ${CONNECTIONS} connections, ${DURATION} s per run`,
  );
  await ensureBenchDatabase(args.pg!, PG_DB, Boolean(args.fresh));
  const db = openPostgres({ url: pgUrl, poolSize: 4, statementTimeoutMs: 3_600_000 });
  let gen: CasesGenResult | null = null;
  let generatedAt: string | null = null;
  let customerSeconds: number | null = null;
  let busyKey: string;
  let inputs: { customers: string[]; longCases: string[]; queries: string[] };
  try {
    await migrate(db);
    const { agents, busy } = await ensureAgents(db);
    if ((await count(db, 'SELECT count(*) AS n FROM customers')) < CUSTOMERS) {
      if (args.reuse) throw new Error('--reuse: the database has fewer customers than asked; run without --reuse');
      const t0 = performance.now();
      if (args['own-customers']) {
        log('Generating minimal customers (id, account number, names)…');
        await db.query(
          `INSERT INTO customers (account_number, first_name, last_name)
           SELECT 'B' || g, 'First' || (g % 5000), 'Last' || (g % 20011) FROM generate_series(1, $1::int) g`,
          [CUSTOMERS],
        );
        await db.exec('ANALYZE customers');
      } else {
        log('Generating customers (bench/customers-generate.ts)…');
        await generateCustomers(db, CUSTOMERS, log);
      }
      customerSeconds = (performance.now() - t0) / 1000;
    }
    if ((await count(db, 'SELECT count(*) AS n FROM cases')) === 0) {
      log('Generating cases and follow-ups…');
      gen = await generateCases(pgUrl, { cases: CASES, followUps: FOLLOW_UPS, agents, busyAgent: busy, log });
      log(`Generated in ${gen.seconds.total.toFixed(0)} s`);
      await db.exec('CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value jsonb NOT NULL)');
      await db.query(
        `INSERT INTO bench_meta VALUES ('generation', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
        [JSON.stringify({ ...gen, customerSeconds, at: new Date().toISOString() })],
      );
    } else {
      const meta = await db
        .query<{ value: CasesGenResult & { customerSeconds: number | null; at: string } }>(
          `SELECT value FROM bench_meta WHERE key = 'generation'`,
        )
        .catch(() => []);
      if (meta[0]) {
        gen = meta[0].value;
        customerSeconds = meta[0].value.customerSeconds;
        generatedAt = meta[0].value.at;
      }
    }
    busyKey = await createApiKey(db, 'bench-busy@bench.local');
    const customers = await db.query<{ customer_id: string }>(
      `SELECT DISTINCT customer_id FROM cases TABLESAMPLE SYSTEM (1) WHERE visibility = 'public' LIMIT 3000`,
    );
    const longCases = await db.query<{ id: string }>(
      `SELECT id FROM cases WHERE case_number = ANY($1::bigint[]) AND visibility = 'public'`,
      [longCaseNumbers(CASES)],
    );
    inputs = {
      customers: shuffle(customers.map((r) => r.customer_id)),
      longCases: shuffle(longCases.map((r) => r.id)),
      queries: searchQueries(),
    };
  } finally {
    await db.close();
  }

  const headers = { authorization: `Bearer ${busyKey}` };
  const runs: { name: string; urls: string[]; goal: number }[] = [
    {
      name: "a customer's case list — `GET /api/v1/customers/{id}/cases`",
      urls: inputs.customers.map((id) => `/api/v1/customers/${id}/cases`),
      goal: 20,
    },
    {
      name: 'a case with its last 50 follow-ups — `GET /api/v1/cases/{id}?include=followUps`',
      urls: inputs.longCases.map((id) => `/api/v1/cases/${id}?include=followUps`),
      goal: 20,
    },
    {
      name: '"my open cases" (2,000 open) — `GET /api/v1/cases?ownerId=me&status=open`',
      urls: ['/api/v1/cases?ownerId=me&status=open'],
      goal: 20,
    },
    {
      name: `full-text search, ${inputs.queries.length} terms rotating — \`GET /api/v1/cases?q=…\``,
      urls: inputs.queries.map((q) => `/api/v1/cases?q=${encodeURIComponent(q)}`),
      goal: 100,
    },
  ];

  log('Starting the server…');
  const server = startServer(
    PORT,
    { DATABASE_URL: pgUrl, PG_POOL_SIZE: String(POOL) },
    WORKERS > 1 ? ['--workers', String(WORKERS)] : [],
    args.root ? path.resolve(args.root) : ROOT,
  );
  const results: { name: string; goal: number; stats: Stats; single: Stats }[] = [];
  const checks: string[] = [];
  try {
    await waitHealthy(PORT);
    loadAtStart = os.loadavg();
    const get = async (u: string) => {
      const r = await fetch(`http://127.0.0.1:${PORT}${u}`, { headers });
      if (!r.ok) throw new Error(`${u}: ${r.status} ${await r.text()}`);
      return r.json() as Promise<Record<string, unknown>>;
    };
    // Correctness before speed.
    const mine = (await get(runs[2].urls[0])) as { items: { ownerId: string; isOpen: boolean }[] };
    checks.push(`my open cases: first page ${mine.items.length} items, all open: ${mine.items.every((c) => c.isOpen)}`);
    const long = (await get(runs[1].urls[0])) as { followUps: { items: unknown[] } };
    checks.push(`case view: ${long.followUps.items.length} follow-ups`);
    const hits: number[] = [];
    for (const u of runs[3].urls) hits.push(((await get(u)) as { items: unknown[] }).items.length);
    checks.push(`search first-page sizes: ${hits.join(', ')}`);
    log(checks.join('\n'));
    for (const run of runs) {
      log(`${run.name}…`);
      await runHttp(PORT, run.urls, headers, 3, CONNECTIONS);
      const s = await runHttp(PORT, run.urls, headers, DURATION, CONNECTIONS);
      log(`  ${CONNECTIONS} connections: ${fmt(s)}`);
      const single = await runHttp(PORT, run.urls, headers, Math.min(DURATION, 10), 1);
      log(`  1 connection: ${fmt(single)}`);
      results.push({ name: run.name, goal: run.goal, stats: s, single });
    }
  } finally {
    await stopServer(server);
  }
  await writeResults(results, gen, customerSeconds, generatedAt, checks);
}

async function writeResults(
  results: { name: string; goal: number; stats: Stats; single: Stats }[],
  gen: CasesGenResult | null,
  customerSeconds: number | null,
  generatedAt: string | null,
  checks: string[],
): Promise<void> {
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  const size = await c.query<{
    customers: number;
    cases: number;
    follow_ups: number;
    db: number;
    cases_bytes: number;
    fu_bytes: number;
    cust_bytes: number;
    version: string;
  }>(
    `SELECT (SELECT count(*) FROM customers)::int AS customers, (SELECT count(*) FROM cases)::int AS cases,
            (SELECT count(*) FROM case_follow_ups)::int AS follow_ups,
            pg_database_size(current_database())::float8 AS db,
            pg_total_relation_size('cases')::float8 AS cases_bytes,
            pg_total_relation_size('case_follow_ups')::float8 AS fu_bytes,
            (pg_total_relation_size('customers') + pg_total_relation_size('customer_phones'))::float8 AS cust_bytes,
            current_setting('server_version') AS version`,
  );
  await c.end();
  const d = size.rows[0];
  const cpu = os.cpus();
  const machine = `${cpu.length} cores (${cpu[0]?.model.trim()}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GB RAM, Node ${process.version}`;
  const ms = (n: number) => n.toFixed(2);
  const gb = (b: number) => `${(b / 2 ** 30).toFixed(1)} GB`;
  const row = (r: (typeof results)[number]) => {
    const ok = r.stats.p95 <= r.goal && r.stats.errors === 0;
    return (
      `| ${r.name} | ${r.stats.rps.toFixed(0)} | ${ms(r.stats.p50)} | ${ms(r.stats.p95)} | ${ms(r.stats.p99)} | ` +
      `${ms(r.single.p50)} | ${ms(r.single.p95)} | ≤ ${r.goal} ms | ${ok ? 'met' : 'not met'} |`
    );
  };
  const lines = [
    `### PostgreSQL: ${d.customers.toLocaleString('en')} customers, ${d.cases.toLocaleString('en')} cases, ` +
      `${d.follow_ups.toLocaleString('en')} follow-ups`,
    '',
    `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · ${machine}, shared with the other ` +
      `engineers' work (load average ${loadAtStart.map((l) => l.toFixed(1)).join(' / ')} when the measuring began) · ` +
      `PostgreSQL ${d.version} as installed (shared_buffers 128 MB) · ${WORKERS === 1 ? 'one server process (`switchboard serve`)' : `${WORKERS} server processes (\`switchboard serve --workers ${WORKERS}\`)`}, ` +
      `pool ${POOL} · autocannon, ${CONNECTIONS} connections for ${DURATION} s after a 3 s warm-up, then 1 connection ` +
      `for ${Math.min(DURATION, 10)} s · caller: an agent's API key (no cases.viewPrivate: every query also leaves ` +
      'private cases out).',
    '',
    `Data: database ${gb(d.db)} (cases ${gb(d.cases_bytes)}, follow-ups ${gb(d.fu_bytes)}, customers ${gb(d.cust_bytes)}, ` +
      'with their indexes). Cases over ~3 years, ≈3 per customer, 8% open, 5% private; subjects and descriptions ' +
      'from a Zipf vocabulary; 3–4 follow-ups per case plus 1,000 cases with 100; the busy agent owns 2,000 open ' +
      'and 3,000 closed cases.',
    '',
    gen
      ? `Generation${generatedAt ? ` (${generatedAt.slice(0, 16).replace('T', ' ')} UTC)` : ''}: ` +
        `cases ${gen.seconds.cases.toFixed(0)} s, follow-ups ${gen.seconds.followUps.toFixed(0)} s, ` +
        `index builds ${gen.seconds.indexes.toFixed(0)} s, vacuum analyze ${gen.seconds.vacuum.toFixed(0)} s` +
        (customerSeconds !== null ? `; customers (bench/customers-generate.ts) ${customerSeconds.toFixed(0)} s.` : '.')
      : 'Generation: data kept from an earlier run (`--reuse`).',
    '',
    `| request | req/s (${CONNECTIONS} conn.) | p50 ms | p95 ms | p99 ms | 1 conn. p50 ms | 1 conn. p95 ms | goal p95 | |`,
    '|---|---|---|---|---|---|---|---|---|',
    ...results.map(row),
    '',
    `Errors: ${results.reduce((n, r) => n + r.stats.errors + r.single.errors, 0)}. Checks: ${checks.join('; ')}.`,
  ];
  const block = lines.join('\n');
  if (SCALE !== 1 || args.root || args.db) {
    log(`\n${block}\n\n(scale ${SCALE}${args.root ? `, server of ${args.root}` : ''}: not written to bench/RESULTS.md)`);
    return;
  }
  const file = path.join(ROOT, 'bench/RESULTS.md');
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const begin = '<!-- cases:begin -->';
  const end = '<!-- cases:end -->';
  if (!text.includes(begin)) text = `${text.trimEnd()}\n\n## Cases and follow-ups (issue 4)\n\n${begin}\n${end}\n`;
  const [head, rest] = text.split(begin);
  const tail = rest.split(end)[1];
  writeFileSync(file, `${head}${begin}\n${block}\n${end}${tail}`);
  log(`\n${block}\n\nWritten to bench/RESULTS.md`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
