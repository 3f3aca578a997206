/**
 * Customers benchmark (issue 3): generate customers, then measure phone lookup
 * and fuzzy name search over HTTP on the real server (autocannon) and the same
 * SQL directly through the driver, at the same concurrency.
 *
 *   npx tsx bench/customers-bench.ts --engine pglite --count 100000
 *   npx tsx bench/customers-bench.ts --engine postgres --count 1000000
 *
 * Options: --duration 15 (seconds per run), --connections 50, --phone-rate 200 and
 * --search-rate 50 (the paced runs, requests per second in all), --pool 20 (the server's
 * PG_POOL_SIZE and the direct baseline's pool), --reuse (keep the
 * generated data of a previous run), --generate-only (load the data, measure nothing), --pg postgres://postgres@127.0.0.1:5432
 * (the server; the benchmark uses its own database `sb_bench`).
 * Results go to bench/RESULTS.md (the Customers section, one block per engine).
 */
import pg from 'pg';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { openPglite, openPostgres, type Db } from '../src/db/adapter.js';
import { migrate } from '../src/db/migrate.js';
import { listCustomers } from '../src/modules/customers/search.js';
import { normalisePhone } from '../src/modules/customers/phones.js';
import { nameTerms } from '../src/modules/customers/terms.js';
import { AuthService } from '../src/modules/users/auth-service.js';
import { UsersService } from '../src/modules/users/service.js';
import { generateCustomers, type GenerateResult } from './customers-generate.js';
import {
  fmt,
  formats,
  log,
  peakRssMb,
  ROOT,
  runDirect,
  runHttp,
  runPaced,
  shuffle,
  startServer,
  stopServer,
  waitHealthy,
  type Stats,
} from './lib.js';

const { values: args } = parseArgs({
  options: {
    engine: { type: 'string', default: 'postgres' },
    count: { type: 'string' },
    duration: { type: 'string', default: '15' },
    connections: { type: 'string', default: '50' },
    reuse: { type: 'boolean', default: false },
    'phone-rate': { type: 'string', default: '200' },
    'search-rate': { type: 'string', default: '50' },
    'generate-only': { type: 'boolean', default: false },
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    pool: { type: 'string', default: '20' },
    port: { type: 'string', default: '3917' },
  },
});
const ENGINE = args.engine === 'pglite' ? 'pglite' : 'postgres';
const COUNT = Number(args.count ?? (ENGINE === 'pglite' ? 100_000 : 1_000_000));
const DURATION = Number(args.duration);
const CONNECTIONS = Number(args.connections);
/** The paced runs' total rates (requests per second over all the connections). */
const PHONE_RATE = Number(args['phone-rate']);
const SEARCH_RATE = Number(args['search-rate']);
const PORT = Number(args.port);
const REGION = 'US';
const PG_DB = 'sb_bench';
const PGLITE_DIR = path.join(os.tmpdir(), 'sb-bench-pglite');
const pgUrl = (() => {
  const u = new URL(args.pg!);
  u.pathname = `/${PG_DB}`;
  return u.toString();
})();
/** PG_POOL_SIZE of the server, and the direct baseline's pool (default: the server's default). */
const POOL = Number(args.pool);
/** The machine's 1-minute load average before and after: the machine is shared, and the figures depend on it. */
const loadBefore = os.loadavg()[0];

// ------------------------------------------------------------------ inputs

/** One typo in a name: two letters swapped, one dropped, or one doubled. */
function misspell(name: string, i: number): string {
  if (name.length < 4) return name;
  const k = 1 + (i % (name.length - 2));
  switch (i % 3) {
    case 0:
      return name.slice(0, k) + name[k + 1] + name[k] + name.slice(k + 2);
    case 1:
      return name.slice(0, k) + name.slice(k + 1);
    default:
      return name.slice(0, k) + name[k] + name.slice(k);
  }
}

interface Inputs {
  phones: { e164: string; raw: string }[];
  names: { id: string; q: string }[];
}

async function sampleInputs(db: Db): Promise<Inputs> {
  const phones = await db.query<{ e164: string; raw: string }>(
    `SELECT e164, raw FROM customer_phones TABLESAMPLE SYSTEM (2) WHERE valid LIMIT 4000`,
  );
  const people = await db.query<{ id: string; first_name: string; last_name: string }>(
    `SELECT id, first_name, last_name FROM customers TABLESAMPLE SYSTEM (2) WHERE NOT draft LIMIT 4000`,
  );
  shuffle(phones);
  shuffle(people);
  return {
    phones,
    names: people.map((p, i) => ({
      id: p.id,
      q: i % 2 ? `${p.first_name} ${misspell(p.last_name, i)}` : `${misspell(p.first_name, i)} ${p.last_name}`,
    })),
  };
}

// ------------------------------------------------------------------ setup

async function openBenchDb(fresh: boolean): Promise<Db> {
  if (ENGINE === 'postgres') {
    if (fresh) {
      const admin = new pg.Client({ connectionString: args.pg });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${PG_DB} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${PG_DB}`);
      await admin.end();
    }
    return openPostgres({ url: pgUrl, poolSize: POOL, statementTimeoutMs: 600_000 });
  }
  if (fresh) rmSync(PGLITE_DIR, { recursive: true, force: true });
  mkdirSync(PGLITE_DIR, { recursive: true });
  return openPglite(path.join(PGLITE_DIR, 'pgdata'));
}

async function createApiKey(db: Db): Promise<string> {
  const config = loadConfig({ ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1', LOG_LEVEL: 'silent' });
  const users = new UsersService(db, config);
  const email = `bench.${Date.now()}@switchboard.local`;
  await users.create(null, { email, password: `bench-${Math.random()}`, role: 'agent' });
  const key = await new AuthService(db, config, users).createApiKey(null, { email, name: 'bench', scope: 'full' });
  return key.key;
}

/** Waits until requests left over from a run (closed connections) are through: the server answers a query. */
async function drain(): Promise<void> {
  await fetch(`http://127.0.0.1:${PORT}/healthz`);
}

// ------------------------------------------------------------------ main

/** What the server answered over HTTP: each run, its peak memory and the correctness checks. */
interface HttpResults {
  phone: Stats;
  search: Stats;
  phone1: Stats;
  search1: Stats;
  phonePaced: Stats;
  searchPaced: Stats;
  rssMb: number;
  recall: number;
  phoneHits: number;
}

async function main(): Promise<void> {
  log(
    `Customers benchmark: ${ENGINE}, ${COUNT.toLocaleString('en')} customers, ${CONNECTIONS} connections, ${DURATION} s`,
  );
  let db = await openBenchDb(!args.reuse);
  await migrate(db);
  let gen: (GenerateResult & { at?: string; load?: number }) | null = null;
  const [{ existing }] = await db.query<{ existing: number }>('SELECT count(*) AS existing FROM customers');
  const genFile = path.join(os.tmpdir(), `sb-bench-customers-${ENGINE}.json`);
  if (!args.reuse || existing === 0) {
    log('Generating…');
    gen = await generateCustomers(db, COUNT, log);
    log(`Generated ${gen.customers} customers, ${gen.phones} phones in ${gen.seconds.total.toFixed(1)} s`);
    gen = { ...gen, at: new Date().toISOString(), load: os.loadavg()[0] };
    writeFileSync(genFile, JSON.stringify(gen));
  } else if (existsSync(genFile)) {
    // Reusing the data: report how long generating it took.
    gen = JSON.parse(readFileSync(genFile, 'utf8')) as GenerateResult & { at: string; load: number };
  }
  if (args['generate-only']) {
    await db.close();
    return;
  }
  const [{ customers, phones }] = await db.query<{ customers: number; phones: number }>(
    'SELECT (SELECT count(*) FROM customers) AS customers, (SELECT count(*) FROM customer_phones) AS phones',
  );
  const inputs = await sampleInputs(db);
  // The generator writes E.164 itself: check it against the normaliser the API uses.
  let mismatches = inputs.phones.filter((p) => normalisePhone(p.raw, REGION).e164 !== p.e164).length;
  // … and its search words against the store's nameTerms().
  const termRows = await db.query<{
    first_name: string;
    last_name: string;
    company: string | null;
    name_terms: string[];
  }>('SELECT first_name, last_name, company, name_terms FROM customers TABLESAMPLE SYSTEM (1) LIMIT 2000');
  mismatches += termRows.filter(
    (r) => JSON.stringify(r.name_terms) !== JSON.stringify(nameTerms(r.first_name, r.last_name, r.company)),
  ).length;
  log(
    `Sampled ${inputs.phones.length} phones, ${inputs.names.length} names; ${mismatches} generated rows disagree with the module`,
  );
  const apiKey = await createApiKey(db);
  if (ENGINE === 'pglite') await db.close(); // the server takes the data directory's lock

  const phoneUrls = inputs.phones.map((p, i) => `/api/v1/customers?phone=${encodeURIComponent(formats(p.e164, i))}`);
  const searchUrls = inputs.names.map((n) => `/api/v1/customers?q=${encodeURIComponent(n.q)}`);
  const headers = { authorization: `Bearer ${apiKey}` };

  log('Starting the server…');
  const server = startServer(
    PORT,
    ENGINE === 'postgres'
      ? { DEFAULT_PHONE_REGION: REGION, DATABASE_URL: pgUrl, PG_POOL_SIZE: String(POOL) }
      : { DEFAULT_PHONE_REGION: REGION, DATABASE_URL: undefined, DATA_DIR: PGLITE_DIR },
  );
  let http: HttpResults;
  try {
    await waitHealthy(PORT);
    // Correctness before speed: each sampled number finds a customer; how often the misspelt name finds its customer.
    let phoneHits = 0;
    for (const u of phoneUrls.slice(0, 200)) {
      const r = await fetch(`http://127.0.0.1:${PORT}${u}`, { headers });
      if (!r.ok) throw new Error(`${u}: ${r.status} ${await r.text()}`);
      if (((await r.json()) as { items: unknown[] }).items.length > 0) phoneHits++;
    }
    let found = 0;
    const checked = Math.min(200, searchUrls.length);
    for (const [i, u] of searchUrls.slice(0, checked).entries()) {
      const r = await fetch(`http://127.0.0.1:${PORT}${u}`, { headers });
      const body = (await r.json()) as { items: { id: string }[] };
      if (body.items.some((c) => c.id === inputs.names[i].id)) found++;
    }
    log(
      `Phone lookups finding a customer: ${phoneHits}/200; misspelt names finding their customer: ${found}/${checked}`,
    );
    log('Warm-up…');
    await runHttp(PORT, phoneUrls, headers, 3, CONNECTIONS);
    await drain();
    await runHttp(PORT, searchUrls, headers, 3, CONNECTIONS);
    await drain();
    log('HTTP phone lookup…');
    const phone = await runHttp(PORT, phoneUrls, headers, DURATION, CONNECTIONS);
    log(`  ${fmt(phone)}`);
    await drain();
    log('HTTP fuzzy name search…');
    const search = await runHttp(PORT, searchUrls, headers, DURATION, CONNECTIONS);
    log(`  ${fmt(search)}`);
    await drain();
    // The same requests one at a time: the latency of a request that does not queue behind 49 others.
    log('HTTP, one connection…');
    const phone1 = await runHttp(PORT, phoneUrls, headers, 10, 1);
    log(`  phone: ${fmt(phone1)}`);
    const search1 = await runHttp(PORT, searchUrls, headers, 10, 1);
    log(`  search: ${fmt(search1)}`);
    // 50 connections again, paced to a steady rate below capacity: the latency when the box is busy but
    // not saturated (back to back, the 50 connections measure the queue: Little's law, 50 ÷ rate).
    log(`HTTP, ${CONNECTIONS} connections paced: phone ${PHONE_RATE}/s, search ${SEARCH_RATE}/s…`);
    const phonePaced = await runPaced(PORT, phoneUrls, headers, DURATION, CONNECTIONS, PHONE_RATE);
    log(`  phone: ${fmt(phonePaced)}`);
    await drain();
    const searchPaced = await runPaced(PORT, searchUrls, headers, DURATION, CONNECTIONS, SEARCH_RATE);
    log(`  search: ${fmt(searchPaced)}`);
    http = {
      phone,
      search,
      phone1,
      search1,
      phonePaced,
      searchPaced,
      rssMb: peakRssMb(server.pid!),
      recall: found / checked,
      phoneHits: phoneHits / 200,
    };
    log(`  server peak RSS ${http.rssMb.toFixed(0)} MB`);
  } finally {
    await stopServer(server);
  }

  if (ENGINE === 'pglite') db = await openBenchDb(false);
  else {
    await db.close();
    db = await openBenchDb(false);
  }
  log('Direct (same SQL through the driver)…');
  const opts = { limit: 50 };
  const phoneDirect = await runDirect(
    CONNECTIONS,
    (i) => listCustomers(db, { ...opts, phone: formats(inputs.phones[i % inputs.phones.length].e164, i) }, REGION),
    DURATION,
  );
  log(`  phone: ${fmt(phoneDirect)}`);
  const searchDirect = await runDirect(
    CONNECTIONS,
    (i) => listCustomers(db, { ...opts, q: inputs.names[i % inputs.names.length].q }, REGION),
    DURATION,
  );
  log(`  search: ${fmt(searchDirect)}`);
  const [{ server_version: version }] = await db.query<{ server_version: string }>('SHOW server_version');
  const sharedBuffers =
    ENGINE === 'postgres' ? (await db.query<{ shared_buffers: string }>('SHOW shared_buffers'))[0].shared_buffers : '';
  await db.close();

  writeResults({
    sharedBuffers,
    customers,
    phones,
    gen,
    http,
    direct: { phone: phoneDirect, search: searchDirect },
    mismatches,
    version,
  });
}

function writeResults(r: {
  sharedBuffers: string;
  customers: number;
  phones: number;
  gen: (GenerateResult & { at?: string; load?: number }) | null;
  http: HttpResults;
  direct: { phone: Stats; search: Stats };
  mismatches: number;
  version: string;
}): void {
  const cpu = os.cpus();
  const load = `load average ${loadBefore.toFixed(1)} before, ${os.loadavg()[0].toFixed(1)} after`;
  const machine = `${cpu.length} cores (${cpu[0]?.model.trim()}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GB RAM, Node ${process.version}`;
  const engine =
    ENGINE === 'postgres'
      ? `PostgreSQL ${r.version} (shared_buffers ${r.sharedBuffers}, other settings as installed)`
      : `PGlite (PostgreSQL ${r.version}, WASM)`;
  const ms = (n: number) => n.toFixed(2);
  const row = (name: string, h: Stats, d: Stats) =>
    `| ${name} | ${h.rps.toFixed(0)} | ${ms(h.p50)} | ${ms(h.p95)} | ${ms(h.p99)} | ${d.rps.toFixed(0)} | ${ms(d.p50)} | ${ms(d.p95)} | ${ms(d.p99)} | ${(h.rps / d.rps).toFixed(2)} |`;
  const g = r.gen;
  const lines = [
    `### ${ENGINE === 'postgres' ? 'PostgreSQL' : 'PGlite'}: ${r.customers.toLocaleString('en')} customers, ${r.phones.toLocaleString('en')} phones`,
    '',
    `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · ${machine} (${load}) · ${engine} · ` +
      `${CONNECTIONS} connections, ${DURATION} s per run (after a 3 s warm-up) · ` +
      (ENGINE === 'postgres'
        ? `server pool ${POOL} · direct: the same \`listCustomers\` SQL through the same adapter, ${CONNECTIONS} concurrent callers on a pool of ${POOL} `
        : `direct: the same \`listCustomers\` SQL on PGlite in the benchmark's process, ${CONNECTIONS} concurrent callers `) +
      '(over HTTP, a `q` search also reads the custom field definitions, for searchable fields; the API key is cached).',
    '',
    g
      ? `Generation${g.at ? ` (${g.at.slice(0, 16).replace('T', ' ')} UTC, load average ${g.load?.toFixed(1)} then)` : ''}: ${g.seconds.total.toFixed(1)} s in all (customers ${g.seconds.customers.toFixed(1)} s, phones ${g.seconds.phones.toFixed(1)} s, index builds ${g.seconds.indexes.toFixed(1)} s, analyze ${g.seconds.analyze.toFixed(1)} s).`
      : 'Generation: reused data of an earlier run.',
    '',
    '| query | HTTP req/s | p50 ms | p95 ms | p99 ms | direct req/s | p50 ms | p95 ms | p99 ms | HTTP ÷ direct |',
    '|---|---|---|---|---|---|---|---|---|---|',
    row('`GET /api/v1/customers?phone=` (mixed formats)', r.http.phone, r.direct.phone),
    row('`GET /api/v1/customers?q=` (full name, one typo)', r.http.search, r.direct.search),
    '',
    'The same over HTTP with one connection (no queueing: the latency of one request):',
    '',
    '| query | req/s | p50 ms | p95 ms | p99 ms |',
    '|---|---|---|---|---|',
    `| phone | ${r.http.phone1.rps.toFixed(0)} | ${ms(r.http.phone1.p50)} | ${ms(r.http.phone1.p95)} | ${ms(r.http.phone1.p99)} |`,
    `| q | ${r.http.search1.rps.toFixed(0)} | ${ms(r.http.search1.p50)} | ${ms(r.http.search1.p95)} | ${ms(r.http.search1.p99)} |`,
    '',
    `The same over HTTP with ${CONNECTIONS} connections paced to a steady rate in all (busy, not saturated):`,
    '',
    '| query | rate asked | req/s | p50 ms | p95 ms | p99 ms |',
    '|---|---|---|---|---|---|',
    `| phone | ${PHONE_RATE}/s | ${r.http.phonePaced.rps.toFixed(0)} | ${ms(r.http.phonePaced.p50)} | ${ms(r.http.phonePaced.p95)} | ${ms(r.http.phonePaced.p99)} |`,
    `| q | ${SEARCH_RATE}/s | ${r.http.searchPaced.rps.toFixed(0)} | ${ms(r.http.searchPaced.p50)} | ${ms(r.http.searchPaced.p95)} | ${ms(r.http.searchPaced.p99)} |`,
    '',
    `Server peak RSS (VmHWM): ${r.http.rssMb.toFixed(0)} MB. Errors: HTTP ${r.http.phone.errors + r.http.search.errors}, direct ${r.direct.phone.errors + r.direct.search.errors}. ` +
      `Checks: ${(r.http.phoneHits * 100).toFixed(0)}% of sampled numbers found their customer; ` +
      `${(r.http.recall * 100).toFixed(0)}% of misspelt names found theirs in the first page; ` +
      `${r.mismatches} generated E.164 values or search words disagreed with the module's own normalisation.`,
  ];
  const block = lines.join('\n');
  const file = path.join(ROOT, 'bench/RESULTS.md');
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const begin = '<!-- customers:begin -->';
  const end = '<!-- customers:end -->';
  if (!text.includes(begin)) {
    text = `${text.trimEnd()}\n\n## Customers (issue 3)\n\n${begin}\n${end}\n`;
  }
  const [head, rest] = text.split(begin);
  const [section, tail] = rest.split(end);
  const eb = `<!-- customers:${ENGINE}:begin -->`;
  const ee = `<!-- customers:${ENGINE}:end -->`;
  let body = section;
  if (body.includes(eb)) body = body.replace(new RegExp(`${eb}[\\s\\S]*?${ee}`), `${eb}\n${block}\n${ee}`);
  else body = `${body.trimEnd()}\n${eb}\n${block}\n${ee}\n`;
  writeFileSync(file, `${head}${begin}\n${body.trim()}\n${end}${tail}`);
  log(`\n${block}\n\nWritten to bench/RESULTS.md`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
