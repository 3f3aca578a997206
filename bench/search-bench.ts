/**
 * Global search benchmark: `GET /api/v1/search?q=…` on 1M customers, 3M cases, 10M
 * follow-ups (bench/customers-generate.ts and bench/cases-generate.ts, as the cases
 * benchmark), plus stored email messages for the email follow-ups, tasks and
 * interactions, on PostgreSQL, over HTTP on the real server (autocannon).
 *
 * Words come from the generator's Zipf vocabulary at several frequency ranks, measured
 * one class at a time: frequent (in a large share of all follow-ups and cases), middling,
 * rare, absent (a word no row has), a partial last word (matched as a prefix), plus phone
 * digits and a customer's name. Single words are prefixes too (3 letters or more). Goal:
 * p95 ≤ 100 ms at 10 connections for every class.
 *
 *   npx tsx bench/search-bench.ts                # generate (once) and measure
 *   npx tsx bench/search-bench.ts --reuse        # measure again on the kept data
 *   npx tsx bench/search-bench.ts --scale 0.002 --duration 2   # a tiny run: does it work?
 *
 * Options: --scale 1 (1 = 1M/3M/10M; emails 1M, tasks 1M, interactions 2M), --duration 15,
 * --connections 10, --pg postgres://postgres@127.0.0.1:5432/postgres (its own database
 * `sb_bench_search`, kept between runs; --db names another), --port 3928, --fresh (drop it first).
 * Results go to bench/RESULTS.md (the Global search section) at scale 1.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { openPostgres, type Db } from '../src/db/adapter.js';
import { migrate } from '../src/db/migrate.js';
import { AuthService } from '../src/modules/users/auth-service.js';
import { UsersService } from '../src/modules/users/service.js';
import { generateCases, texts } from './cases-generate.js';
import { generateCustomers } from './customers-generate.js';
import {
  ensureBenchDatabase,
  fmt,
  log,
  ROOT,
  runHttp,
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
    fresh: { type: 'boolean', default: false },
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    port: { type: 'string', default: '3928' },
    db: { type: 'string' },
  },
});
const SCALE = Number(args.scale);
const CUSTOMERS = Math.round(1_000_000 * SCALE);
const CASES = Math.round(3_000_000 * SCALE);
const FOLLOW_UPS = Math.round(10_000_000 * SCALE);
const EMAILS = Math.round(1_000_000 * SCALE);
const TASKS = Math.round(1_000_000 * SCALE);
const INTERACTIONS = Math.round(2_000_000 * SCALE);
const AGENTS = Math.max(20, Math.round(500 * SCALE));
const DURATION = Number(args.duration);
const CONNECTIONS = Number(args.connections);
const PORT = Number(args.port);
const PG_DB = args.db ?? (SCALE === 1 ? 'sb_bench_search' : `sb_bench_search_${String(SCALE).replace('.', '_')}`);
const POOL = 20;
const GOAL_MS = 100;
const pgUrl = (() => {
  const u = new URL(args.pg!);
  u.pathname = `/${PG_DB}`;
  return u.toString();
})();

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');

// ------------------------------------------------------------------ setup

const count = async (db: Db, sql: string) => (await db.query<{ n: number }>(sql))[0].n;

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

/**
 * Email messages for the newest EMAILS email follow-ups (subject "Re: [#n] <subject>", the
 * follow-up's body as text), tasks and interactions, all with the generator's texts.
 */
async function generateRest(db: Db, agents: string[]): Promise<void> {
  const t0 = performance.now();
  log('  email messages…');
  await db.query(
    `INSERT INTO email_messages (direction, dedupe_key, case_id, follow_up_id, subject, text_body, created_at)
     SELECT f.direction, 'bench:' || f.id, f.case_id, f.id, 'Re: ' || c.subject, f.body, f.created_at
     FROM (SELECT * FROM case_follow_ups WHERE kind = 'email' ORDER BY seq DESC LIMIT $1) f
     JOIN cases c ON c.id = f.case_id`,
    [EMAILS],
  );
  log('  tasks…');
  await db.query(
    `INSERT INTO tasks (type, subject, notes, customer_id, assignee_id, due_at, status, completed_at, created_at, updated_at)
     SELECT 'call', su.s, CASE WHEN g % 3 = 0 THEN NULL ELSE de.s END, m.id,
            ($2::uuid[])[1 + g % cardinality($2::uuid[])], now() + (g % 100 - 50) * interval '1 day',
            CASE WHEN g % 4 = 0 THEN 'open' ELSE 'done' END,
            CASE WHEN g % 4 = 0 THEN NULL ELSE now() - (g % 900) * interval '1 day' END,
            now() - (g % 900) * interval '1 day', now() - (g % 900) * interval '1 day'
     FROM generate_series(1, $1::int) g
     JOIN bench_customer_map m ON m.n = 1 + (hashint8(g + 77777777) & 2147483647) % (SELECT count(*) FROM bench_customer_map)
     JOIN bench_subjects su ON su.n = (hashint8(g) & 2147483647) % (SELECT count(*) FROM bench_subjects)
     JOIN bench_descriptions de ON de.n = (hashint8(g + 1) & 2147483647) % (SELECT count(*) FROM bench_descriptions)`,
    [TASKS, agents],
  );
  log('  interactions…');
  await db.query(
    `INSERT INTO interactions (channel, direction, from_address, to_address, agent_id, customer_id, match_result,
                               state, started_at, ended_at, closed_at, notes)
     SELECT 'phone', 'inbound', '+1' || (2000000000 + (hashint8(g) & 2147483647) % 7999999999)::text, '+18005550100',
            ($2::uuid[])[1 + g % cardinality($2::uuid[])], m.id, 'found', 'closed',
            now() - g * interval '10 seconds', now() - g * interval '10 seconds' + interval '5 minutes',
            now() - g * interval '10 seconds' + interval '6 minutes',
            CASE WHEN g % 2 = 0 THEN de.s END
     FROM generate_series(1, $1::int) g
     JOIN bench_customer_map m ON m.n = 1 + (hashint8(g + 88888888) & 2147483647) % (SELECT count(*) FROM bench_customer_map)
     JOIN bench_descriptions de ON de.n = (hashint8(g + 2) & 2147483647) % (SELECT count(*) FROM bench_descriptions)`,
    [INTERACTIONS, agents],
  );
  await db.exec('VACUUM ANALYZE email_messages, tasks, interactions');
  log(`  generated in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

async function createApiKey(db: Db, email: string): Promise<string> {
  const config = loadConfig({ ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1', LOG_LEVEL: 'silent' });
  const users = new UsersService(db, config);
  return (await new AuthService(db, config, users).createApiKey(null, { email, name: 'bench', scope: 'full' })).key;
}

/** The classes of queries, each a rotating list of `q` values. */
async function queryClasses(db: Db): Promise<{ name: string; queries: string[] }[]> {
  const { vocab } = texts();
  const at = (ranks: number[]) => ranks.map((r) => vocab[r - 1]);
  const [name] = await db.query<{ last_name: string }>(
    `SELECT last_name FROM customers WHERE last_name IS NOT NULL LIMIT 1`,
  );
  const numbers = await db.query<{ digits: string }>(
    `SELECT right(from_address, 7) AS digits FROM interactions TABLESAMPLE SYSTEM (1) LIMIT 20`,
  );
  return [
    { name: 'frequent words (vocabulary ranks 1–12)', queries: at([1, 2, 3, 5, 8, 12]) },
    { name: 'middling words (ranks 30–400)', queries: at([30, 70, 150, 400]) },
    { name: 'rare words (ranks 900–4,500)', queries: at([900, 2000, 3000, 4500]) },
    {
      name: 'two words (frequent + rare)',
      queries: [1, 2, 5].map((r, i) => `${vocab[r - 1]} ${vocab[[900, 2000, 4500][i] - 1]}`),
    },
    { name: 'absent word', queries: ['zzqxwv', 'qqjjxx', 'xyzzyplugh'] },
    {
      // The last word matches as a prefix (`word:*`): a word cut short, as typed into the box.
      name: 'a partial last word (ranks 2–3,000, cut to 4–5 letters)',
      queries: at([2, 30, 150, 900, 3000]).map((w) => w.slice(0, Math.max(4, Math.min(5, w.length - 1)))),
    },
    {
      name: 'phone digits and a name',
      queries: [...numbers.map((n) => n.digits), ...(name ? [name.last_name] : [])],
    },
  ].filter((c) => c.queries.length > 0);
}

// ------------------------------------------------------------------ main

async function main(): Promise<void> {
  log(
    `Global search benchmark: ${CUSTOMERS.toLocaleString('en')} customers, ${CASES.toLocaleString('en')} cases, ` +
      `${FOLLOW_UPS.toLocaleString('en')} follow-ups, ${EMAILS.toLocaleString('en')} emails, ` +
      `${TASKS.toLocaleString('en')} tasks, ${INTERACTIONS.toLocaleString('en')} interactions; ` +
      `${CONNECTIONS} connections, ${DURATION} s per run`,
  );
  await ensureBenchDatabase(args.pg!, PG_DB, Boolean(args.fresh));
  const db = openPostgres({ url: pgUrl, poolSize: 4, statementTimeoutMs: 3_600_000 });
  let key: string;
  let classes: { name: string; queries: string[] }[];
  try {
    await migrate(db);
    const { agents, busy } = await ensureAgents(db);
    if ((await count(db, 'SELECT count(*) AS n FROM customers')) < CUSTOMERS) {
      if (args.reuse) throw new Error('--reuse: the database has fewer customers than asked; run without --reuse');
      log('Generating customers (bench/customers-generate.ts)…');
      await generateCustomers(db, CUSTOMERS, log);
    }
    if ((await count(db, 'SELECT count(*) AS n FROM cases')) === 0) {
      log('Generating cases and follow-ups (bench/cases-generate.ts)…');
      await generateCases(pgUrl, { cases: CASES, followUps: FOLLOW_UPS, agents, busyAgent: busy, log });
    }
    if ((await count(db, 'SELECT count(*) AS n FROM tasks')) === 0) {
      log('Generating email messages, tasks and interactions…');
      await generateRest(db, agents);
    }
    key = await createApiKey(db, 'bench-busy@bench.local');
    classes = await queryClasses(db);
  } finally {
    await db.close();
  }

  const headers = { authorization: `Bearer ${key}` };
  const url = (q: string) => `/api/v1/search?q=${encodeURIComponent(q)}`;
  log('Starting the server…');
  const server = startServer(PORT, { DATABASE_URL: pgUrl, PG_POOL_SIZE: String(POOL) });
  const results: { name: string; stats: Stats; loadBefore: string; loadAfter: string }[] = [];
  const checks: string[] = [];
  try {
    await waitHealthy(PORT);
    // Correctness before speed: every class answers, with its groups.
    for (const c of classes) {
      const r = await fetch(`http://127.0.0.1:${PORT}${url(c.queries[0])}`, { headers });
      if (!r.ok) throw new Error(`${c.queries[0]}: ${r.status} ${await r.text()}`);
      const body = (await r.json()) as { groups: { type: string; items: unknown[] }[] };
      checks.push(`"${c.queries[0]}": ${body.groups.map((g) => `${g.type} ${g.items.length}`).join(', ')}`);
    }
    log(checks.join('\n'));
    for (const c of classes) {
      const urls = c.queries.map(url);
      log(`${c.name}…`);
      await runHttp(PORT, urls, headers, Math.min(3, DURATION), CONNECTIONS);
      const loadBefore = load();
      const s = await runHttp(PORT, urls, headers, DURATION, CONNECTIONS);
      const loadAfter = load();
      log(`  ${CONNECTIONS} connections: ${fmt(s)}; load ${loadBefore} → ${loadAfter}`);
      results.push({ name: c.name, stats: s, loadBefore, loadAfter });
    }
  } finally {
    await stopServer(server);
  }
  writeResults(results, checks);
}

function writeResults(
  results: { name: string; stats: Stats; loadBefore: string; loadAfter: string }[],
  checks: string[],
) {
  const cpu = os.cpus();
  const machine = `${cpu.length} cores (${cpu[0]?.model.trim()}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GB RAM, Node ${process.version}`;
  const ms = (n: number) => n.toFixed(2);
  const lines = [
    `### PostgreSQL: ${CUSTOMERS.toLocaleString('en')} customers, ${CASES.toLocaleString('en')} cases, ` +
      `${FOLLOW_UPS.toLocaleString('en')} follow-ups, ${EMAILS.toLocaleString('en')} emails, ` +
      `${TASKS.toLocaleString('en')} tasks, ${INTERACTIONS.toLocaleString('en')} interactions`,
    '',
    `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · ${machine} · one server process, pool ` +
      `${POOL} · autocannon, ${CONNECTIONS} connections for ${DURATION} s per class after a warm-up · caller: an ` +
      "agent's API key (customers, cases without private ones, tasks, interactions: four groups, limit 5).",
    '',
    `| query class | req/s | p50 ms | p95 ms | p99 ms | load avg before → after | goal p95 | |`,
    '|---|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.name} | ${r.stats.rps.toFixed(0)} | ${ms(r.stats.p50)} | ${ms(r.stats.p95)} | ${ms(r.stats.p99)} | ` +
        `${r.loadBefore} → ${r.loadAfter} | ≤ ${GOAL_MS} ms | ${r.stats.p95 <= GOAL_MS && r.stats.errors === 0 ? 'met' : 'not met'} |`,
    ),
    '',
    `Errors: ${results.reduce((n, r) => n + r.stats.errors, 0)}. First answers: ${checks.join('; ')}.`,
  ];
  const block = lines.join('\n');
  if (SCALE !== 1) {
    log(`\n${block}\n\n(scale ${SCALE}: not written to bench/RESULTS.md)`);
    return;
  }
  const file = path.join(ROOT, 'bench/RESULTS.md');
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const begin = '<!-- search:begin -->';
  const end = '<!-- search:end -->';
  if (!text.includes(begin)) text = `${text.trimEnd()}\n\n## Global search\n\n${begin}\n${end}\n`;
  const [head, rest] = text.split(begin);
  const tail = rest.split(end)[1];
  writeFileSync(file, `${head}${begin}\n${block}\n${end}${tail}`);
  log(`\n${block}\n\nWritten to bench/RESULTS.md`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
