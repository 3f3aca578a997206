/**
 * Custom fields benchmark (issue 7): 1M customers with 20 custom fields each on
 * PostgreSQL, then list filters on indexed custom fields over HTTP (autocannon
 * against the real server), equality and ranges.
 *
 *   npx tsx bench/custom-fields-filter.ts                    # 1,000,000 customers
 *   npx tsx bench/custom-fields-filter.ts --count 100000 --duration 5
 *
 * Options: --connections 10, --duration 10 (seconds per query), --reuse (keep the
 * data of a previous run), --keep (do not drop the database at the end),
 * --generate-only (load the data and stop; implies --keep), --label installed (the results
 * block this run replaces, so runs against differently configured servers sit side by side),
 * --pg postgres://postgres@127.0.0.1:5432/postgres (the server; the benchmark
 * uses its own database `sb_bench_cf`).
 * Results go to bench/RESULTS.md, between the custom-fields markers.
 */
import pg from 'pg';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { openPostgres, type Db } from '../src/db/adapter.js';
import { migrate } from '../src/db/migrate.js';
import { systemActor } from '../src/http/actor.js';
import { valueExpression } from '../src/modules/custom-fields/indexes.js';
import { CustomFieldsService } from '../src/modules/custom-fields/service.js';
import type { CustomField } from '../src/modules/custom-fields/schema.js';
import { validateCustomFields } from '../src/modules/custom-fields/validate.js';
import { AuthService } from '../src/modules/users/auth-service.js';
import { UsersService } from '../src/modules/users/service.js';
import { ROOT, runHttp, startServer, stopServer, waitHealthy, type Stats } from './lib.js';

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '1000000' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '1,4' },
    reuse: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'generate-only': { type: 'boolean', default: false },
    label: { type: 'string', default: 'installed' },
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    port: { type: 'string', default: '3927' },
  },
});
const COUNT = Number(args.count);
const DURATION = Number(args.duration);
/** Each filter runs once per concurrency level (autocannon connections). */
const CONNECTIONS = args.connections!.split(',').map(Number);
const PORT = Number(args.port);
const PG_DB = 'sb_bench_cf';
const LABEL = args.label!.replace(/[^a-z0-9-]/gi, '');
const POOL = 20;
const BATCH = 100_000;
/** The generation timings, kept for a later --reuse run that writes the results. */
const GEN_FILE = path.join(os.tmpdir(), `sb-bench-cf-generation-${LABEL}.json`);
const pgUrl = (() => {
  const u = new URL(args.pg!);
  u.pathname = `/${PG_DB}`;
  return u.toString();
})();
const log = (s: string) => process.stdout.write(`${s}\n`);
const seconds = (t0: number) => (performance.now() - t0) / 1000;
const admin = systemActor('system', 'bench');

// ------------------------------------------------------------------ the 20 fields

const pick = (keys: string[]) => keys.map((k) => ({ key: k, label: k[0].toUpperCase() + k.slice(1) }));
const REGIONS = Array.from({ length: 20 }, (_, i) => `r${i}`);
const FIELDS: Record<string, unknown>[] = [
  { key: 'memberNo', label: 'Member no.', type: 'text' },
  { key: 'tier', label: 'Tier', type: 'singlePick', options: pick(['std', 'silver', 'gold', 'platinum']) },
  { key: 'region', label: 'Region', type: 'singlePick', options: pick(REGIONS) },
  { key: 'score', label: 'Score', type: 'number' },
  { key: 'balance', label: 'Balance', type: 'decimal' },
  { key: 'renewal', label: 'Renewal', type: 'date' },
  { key: 'lastContact', label: 'Last contact', type: 'dateTime' },
  { key: 'optIn', label: 'Opt-in', type: 'boolean' },
  {
    key: 'interests',
    label: 'Interests',
    type: 'multiPick',
    options: pick(['sports', 'music', 'travel', 'tech', 'food']),
  },
  { key: 'website', label: 'Website', type: 'url' },
  { key: 'altPhone', label: 'Alt. phone', type: 'phone' },
  { key: 'billingEmail', label: 'Billing email', type: 'email' },
  { key: 'notes', label: 'Notes', type: 'longText' },
  { key: 'employees', label: 'Employees', type: 'number' },
  { key: 'segment', label: 'Segment', type: 'text' },
  { key: 'industry', label: 'Industry', type: 'text' },
  { key: 'source', label: 'Source', type: 'text' },
  { key: 'campaign', label: 'Campaign', type: 'text' },
  { key: 'referralCode', label: 'Referral code', type: 'text' },
  { key: 'accountManager', label: 'Account manager', type: 'text' },
];
/** Made filterable after the load (each builds its index on the full table, as an administrator would). */
const FILTERABLE = ['memberNo', 'tier', 'region', 'score', 'renewal', 'lastContact'];

/** h(n): a well-mixed non-negative int per row and field, so values do not follow insertion or name order. */
const h = (n: number) => `abs(hashint4(g + ${n * 1_000_003}))`;
const CUSTOM_FIELDS_SQL = `jsonb_build_object(
  'memberNo', 'M' || lpad(g::text, 8, '0'),
  'tier', (ARRAY['std','silver','gold','platinum'])[1 + ${h(1)} % 4],
  'region', 'r' || (${h(2)} % 20),
  'score', ${h(3)} % 10000,
  'balance', round((${h(4)} % 10000000) / 100.0, 2),
  'renewal', to_char(date '2020-01-01' + ${h(5)} % 3650, 'YYYY-MM-DD'),
  'lastContact', to_char(timestamp '2024-01-01' + (${h(6)} % 31536000) * interval '1 second', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  'optIn', ${h(7)} % 2 = 0,
  'interests', jsonb_build_array((ARRAY['sports','music','travel','tech','food'])[1 + ${h(8)} % 5]),
  'website', 'https://c' || g || '.example.com/',
  'altPhone', '+1415' || (2000000 + ${h(9)} % 7000000)::text,
  'billingEmail', 'billing' || g || '@example.com',
  'notes', 'Prefers ' || (ARRAY['email','phone','chat'])[1 + ${h(10)} % 3] || E'.\\nCustomer since ' || (2000 + g % 24),
  'employees', 1 + ${h(11)} % 50000,
  'segment', (ARRAY['enterprise','mid-market','smb','consumer'])[1 + ${h(12)} % 4],
  'industry', (ARRAY['retail','finance','health','travel','telecom','energy','public'])[1 + ${h(13)} % 7],
  'source', (ARRAY['web','referral','event','partner','outbound'])[1 + ${h(14)} % 5],
  'campaign', 'cmp-' || (${h(15)} % 500),
  'referralCode', 'R' || to_hex(${h(16)}),
  'accountManager', 'am' || (${h(17)} % 300) || '@example.com')`;

const FIRST = [
  'Ada',
  'Alan',
  'Grace',
  'Edsger',
  'Barbara',
  'Donald',
  'Frances',
  'Ken',
  'Radia',
  'Tim',
  'Margaret',
  'John',
];
const LAST = [
  'Lovelace',
  'Turing',
  'Hopper',
  'Dijkstra',
  'Liskov',
  'Knuth',
  'Allen',
  'Thompson',
  'Perlman',
  'Berners-Lee',
];

// ------------------------------------------------------------------ setup

async function openDb(fresh: boolean): Promise<Db> {
  if (fresh) {
    const c = new pg.Client({ connectionString: args.pg });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${PG_DB} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${PG_DB}`);
    await c.end();
  }
  return openPostgres({ url: pgUrl, poolSize: POOL, statementTimeoutMs: 3_600_000 });
}

async function dropDb(): Promise<void> {
  const c = new pg.Client({ connectionString: args.pg });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${PG_DB} WITH (FORCE)`);
  await c.end();
}

interface Generation {
  load: number;
  indexes: number;
  filterable: Record<string, number>;
}

/**
 * Names are drawn independently of the insertion order (as in a real customer
 * base): the list's name order is then uncorrelated with the table's physical
 * order, which is what the planner weighs when it chooses between walking the
 * name index and collecting a filter's matches.
 *
 * Loads the customers inside the database (INSERT … SELECT generate_series; the
 * jsonb built in SQL), with the table's secondary indexes dropped during the load
 * and rebuilt after it, whatever they are; then makes six fields filterable
 * through the service (each builds its index on the full table and analyses it).
 */
async function generate(db: Db, service: CustomFieldsService): Promise<Generation> {
  for (const f of FIELDS) await service.create(admin, { objectType: 'customer', ...f } as never);
  const t0 = performance.now();
  const indexes = await db.query<{ indexname: string; indexdef: string }>(
    `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'customers' AND indexname <> 'customers_pkey'`,
  );
  for (const i of indexes) await db.exec(`DROP INDEX "${i.indexname}"`);
  const first = `ARRAY[${FIRST.map((n) => `'${n}'`).join(',')}]`;
  const last = `ARRAY[${LAST.map((n) => `'${n}'`).join(',')}]`;
  for (let from = 1; from <= COUNT; from += BATCH) {
    const to = Math.min(COUNT, from + BATCH - 1);
    await db.query(
      `INSERT INTO customers (account_number, first_name, last_name, custom_fields)
       SELECT (1000000 + g)::text, (${first})[1 + ${h(18)} % ${FIRST.length}],
              (${last})[1 + ${h(19)} % ${LAST.length}] || ' ' || (${h(20)} % 1000000), ${CUSTOM_FIELDS_SQL}
       FROM generate_series($1::int, $2::int) g`,
      [from, to],
    );
    log(`  ${to.toLocaleString('en')} customers (${seconds(t0).toFixed(0)} s)`);
  }
  const load = seconds(t0);
  const t1 = performance.now();
  for (const i of indexes) await db.exec(i.indexdef);
  await db.exec('VACUUM ANALYZE customers');
  const built = seconds(t1);
  log(`  loaded in ${load.toFixed(1)} s; ${indexes.length} indexes rebuilt + vacuum analyze in ${built.toFixed(1)} s`);
  const filterable: Record<string, number> = {};
  const defs = await service.definitions('customer');
  for (const key of FILTERABLE) {
    const def = defs.find((d) => d.key === key)!;
    const t = performance.now();
    await service.update(admin, def.id, { filterable: true }, def.version);
    filterable[key] = seconds(t);
    log(`  ${key}: filterable (index + analyze) in ${filterable[key].toFixed(1)} s`);
  }
  return { load, indexes: built, filterable };
}

async function createApiKey(db: Db): Promise<string> {
  const config = loadConfig({ ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1', LOG_LEVEL: 'silent' });
  const users = new UsersService(db, config);
  const email = `bench.cf.${Date.now()}@switchboard.local`;
  await users.create(null, { email, password: `bench-${Math.random()}`, role: 'agent' });
  const key = await new AuthService(db, config, users).createApiKey(null, { email, name: 'bench', scope: 'full' });
  return key.key;
}

// ------------------------------------------------------------------ measuring

interface Result {
  s: Scenario;
  stats: Stats;
  connections: number;
  checked: number;
  bad: number;
}

interface Scenario {
  name: string;
  kind: 'equality' | 'range';
  urls: string[];
  /** Whether one returned record matches (checked on the records the API answers). */
  check: (cf: Record<string, unknown>, url: string) => boolean;
}

const rand = (n: number) => Math.floor(Math.random() * n);
const param = (url: string, name: string) => new URL(url, 'http://x').searchParams.get(name)!;
const day = (d: Date) => d.toISOString().slice(0, 10);

function scenarios(count: number): Scenario[] {
  const list = (qs: string) => `/api/v1/customers?${qs}`;
  const urls = (n: number, f: () => string) => Array.from({ length: n }, f);
  return [
    {
      name: '`cf.memberNo=` (text, 1 match)',
      kind: 'equality',
      urls: urls(2000, () => list(`cf.memberNo=M${String(1 + rand(count)).padStart(8, '0')}`)),
      check: (cf, u) => cf.memberNo === param(u, 'cf.memberNo'),
    },
    {
      name: '`cf.region=` (pick list, 5 % match)',
      kind: 'equality',
      urls: urls(200, () => list(`cf.region=r${rand(20)}`)),
      check: (cf, u) => cf.region === param(u, 'cf.region'),
    },
    {
      name: '`cf.tier=` (pick list, 25 % match)',
      kind: 'equality',
      urls: ['std', 'silver', 'gold', 'platinum'].map((t) => list(`cf.tier=${t}`)),
      check: (cf, u) => cf.tier === param(u, 'cf.tier'),
    },
    {
      name: '`cf.score.gte=&cf.score.lt=` (number, 0.1 % match)',
      kind: 'range',
      urls: urls(2000, () => {
        const x = rand(9990);
        return list(`cf.score.gte=${x}&cf.score.lt=${x + 10}`);
      }),
      check: (cf, u) =>
        Number(cf.score) >= Number(param(u, 'cf.score.gte')) && Number(cf.score) < Number(param(u, 'cf.score.lt')),
    },
    {
      name: '`cf.renewal.gte=&cf.renewal.lt=` (date, one week, 0.2 %)',
      kind: 'range',
      urls: urls(2000, () => {
        const d = new Date(Date.UTC(2020, 0, 1) + rand(3640) * 86_400_000);
        return list(`cf.renewal.gte=${day(d)}&cf.renewal.lt=${day(new Date(d.getTime() + 7 * 86_400_000))}`);
      }),
      check: (cf, u) =>
        String(cf.renewal) >= param(u, 'cf.renewal.gte') && String(cf.renewal) < param(u, 'cf.renewal.lt'),
    },
    {
      name: '`cf.lastContact.gte=&.lt=` (dateTime, one day, 0.3 %)',
      kind: 'range',
      urls: urls(2000, () => {
        const d = new Date(Date.UTC(2024, 0, 1) + rand(364) * 86_400_000);
        return list(`cf.lastContact.gte=${day(d)}&cf.lastContact.lt=${day(new Date(d.getTime() + 86_400_000))}`);
      }),
      check: (cf, u) =>
        String(cf.lastContact) >= `${param(u, 'cf.lastContact.gte')}T00:00:00.000Z` &&
        String(cf.lastContact) < `${param(u, 'cf.lastContact.lt')}T00:00:00.000Z`,
    },
    {
      name: '`cf.score.gte=` (number, open range, 0–100 %)',
      kind: 'range',
      urls: urls(2000, () => list(`cf.score.gte=${rand(10000)}`)),
      check: (cf, u) => Number(cf.score) >= Number(param(u, 'cf.score.gte')),
    },
  ];
}

/** Correctness before speed: every answer's records match its filter; equality on memberNo finds exactly one. */
async function verify(s: Scenario, headers: Record<string, string>): Promise<{ checked: number; bad: number }> {
  let checked = 0;
  let bad = 0;
  for (const u of s.urls.slice(0, 50)) {
    const r = await fetch(`http://127.0.0.1:${PORT}${u}`, { headers });
    if (!r.ok) throw new Error(`${u}: ${r.status} ${await r.text()}`);
    const items = ((await r.json()) as { items: { customFields: Record<string, unknown> }[] }).items;
    if (s.name.includes('memberNo') && items.length !== 1) bad++;
    for (const it of items) {
      checked++;
      if (!s.check(it.customFields, u)) bad++;
    }
  }
  return { checked, bad };
}

async function plans(db: Db): Promise<string[]> {
  const out: string[] = [];
  const show = async (label: string, where: string) => {
    const rows = await db.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (ANALYZE, BUFFERS OFF, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT id FROM customers c WHERE ${where}
       ORDER BY c.sort_name, c.id LIMIT 51`,
    );
    out.push(`${label}:`, ...rows.map((r) => `    ${r['QUERY PLAN']}`));
  };
  const text = valueExpression('text', 'memberNo', 'c');
  const num = valueExpression('number', 'score', 'c');
  const at = valueExpression('dateTime', 'lastContact', 'c');
  await show('equality (text)', `${text} = 'M00012345'`);
  await show('range (number, 0.1 %)', `${num} >= 500 AND ${num} < 510`);
  await show('range (dateTime, one day)', `${at} >= '2024-03-05T00:00:00.000Z' AND ${at} < '2024-03-06T00:00:00.000Z'`);
  return out;
}

// ------------------------------------------------------------------ main

async function main(): Promise<void> {
  log(
    `Custom fields benchmark: ${COUNT.toLocaleString('en')} customers × 20 custom fields, ${CONNECTIONS.join(' and ')} connections`,
  );
  let db = await openDb(!args.reuse);
  await migrate(db);
  const config = loadConfig({ LOG_LEVEL: 'silent' });
  const service = new CustomFieldsService(db, config);
  let gen: Generation | null = null;
  const [{ n }] = await db.query<{ n: number }>('SELECT count(*) AS n FROM customers');
  if (!args.reuse || n === 0) {
    log('Generating…');
    gen = await generate(db, service);
    writeFileSync(GEN_FILE, JSON.stringify(gen));
  } else if (existsSync(GEN_FILE)) {
    gen = JSON.parse(readFileSync(GEN_FILE, 'utf8')) as Generation;
  }
  if (args['generate-only']) {
    await db.close();
    return;
  }
  // The generator writes the values itself: each sampled record must come back unchanged from the validator.
  const sample = await db.query<{ custom_fields: Record<string, unknown> }>(
    'SELECT custom_fields FROM customers TABLESAMPLE SYSTEM (1) LIMIT 1000',
  );
  let invalid = 0;
  for (const r of sample) {
    try {
      const out = await db.transaction((tx) => validateCustomFields(tx, 'customer', r.custom_fields));
      if (JSON.stringify(out) !== JSON.stringify(r.custom_fields)) invalid++;
    } catch {
      invalid++;
    }
  }
  log(`Validator check: ${invalid} of ${sample.length} sampled generated records not as the validator stores them`);
  const defs: CustomField[] = await service.definitions('customer');
  const [{ customers, size, cfKeysIdx, filterIdx }] = await db.query<{
    customers: number;
    size: number;
    cfKeysIdx: number;
    filterIdx: number;
  }>(
    `SELECT (SELECT count(*) FROM customers) AS customers,
            pg_table_size('customers') AS size,
            pg_relation_size('customers_cf_keys_idx') AS "cfKeysIdx",
            (SELECT coalesce(sum(pg_relation_size(indexrelid)), 0) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
              WHERE c.relname LIKE 'cf\\_\\_customers\\_\\_%') AS "filterIdx"`,
  );
  const plan = await plans(db);
  const typeCheck = await (async () => {
    // The guard of a type change: "does any record hold a value?" over 1M rows.
    const def = defs.find((d) => d.key === 'campaign')!;
    const t = performance.now();
    const refused = await service.update(admin, def.id, { type: 'longText' }, def.version).then(
      () => false,
      () => true,
    );
    return { refused, ms: performance.now() - t };
  })();
  log(`Type change on a field with values refused: ${typeCheck.refused} in ${typeCheck.ms.toFixed(1)} ms`);
  const apiKey = await createApiKey(db);
  const [{ server_version: version }] = await db.query<{ server_version: string }>('SHOW server_version');
  const [{ shared_buffers: sharedBuffers }] = await db.query<{ shared_buffers: string }>('SHOW shared_buffers');
  const [{ random_page_cost: rpc }] = await db.query<{ random_page_cost: string }>('SHOW random_page_cost');
  const settings = `shared_buffers ${sharedBuffers}, random_page_cost ${rpc}, other settings as installed`;
  await db.close();

  const headers = { authorization: `Bearer ${apiKey}` };
  const list = scenarios(customers);
  const results: Result[] = [];
  const load = os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' / ');
  log('Starting the server…');
  const server = startServer(PORT, { DATABASE_URL: pgUrl, PG_POOL_SIZE: String(POOL) });
  try {
    await waitHealthy(PORT);
    for (const s of list) {
      const v = await verify(s, headers);
      for (const connections of CONNECTIONS) {
        await runHttp(PORT, s.urls, headers, 2, connections); // warm-up
        const stats = await runHttp(PORT, s.urls, headers, DURATION, connections);
        log(`  ${s.name} ×${connections}: ${fmt(stats)}; ${v.checked} records checked, ${v.bad} wrong`);
        results.push({ s, stats, connections, ...v });
      }
    }
  } finally {
    await stopServer(server);
  }
  writeResults({
    customers,
    size,
    cfKeysIdx,
    filterIdx,
    gen,
    results,
    plan,
    typeCheck,
    invalid,
    version,
    settings,
    load,
  });
  if (!args.keep) {
    db = await openDb(false);
    await db.close();
    await dropDb();
    log(`Dropped ${PG_DB}.`);
  }
}

const fmt = (s: Stats) =>
  `${s.rps.toFixed(0)} req/s, p50 ${s.p50.toFixed(2)} ms, p95 ${s.p95.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms (${s.n} ok, ${s.errors} errors)`;

function writeResults(r: {
  customers: number;
  size: number;
  cfKeysIdx: number;
  filterIdx: number;
  gen: Generation | null;
  results: Result[];
  plan: string[];
  typeCheck: { refused: boolean; ms: number };
  invalid: number;
  version: string;
  settings: string;
  load: string;
}): void {
  const cpu = os.cpus();
  const machine = `${cpu.length} cores (${cpu[0]?.model.trim()}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GB RAM, Node ${process.version}`;
  const ms = (n: number) => n.toFixed(2);
  const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
  const g = r.gen;
  const worst = CONNECTIONS.map((c) => ({
    c,
    p95: Math.max(...r.results.filter((x) => x.connections === c).map((x) => x.stats.p95)),
  }));
  const lines = [
    `### PostgreSQL: ${r.customers.toLocaleString('en')} customers × 20 custom fields`,
    '',
    `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · ${machine} · PostgreSQL ${r.version} ` +
      `(${r.settings}) · server and database on the same machine · autocannon, ${CONNECTIONS.join(' and ')} connections, ` +
      `${DURATION} s per query after a 2 s warm-up · server pool ${POOL} · API key auth · default sort (name), page of 50.`,
    '',
    `Data: customers table ${mb(r.size)} (${(r.size / r.customers).toFixed(0)} bytes a row with its 20 values in ` +
      `\`custom_fields\` jsonb), \`customers_cf_keys_idx\` (keys GIN) ${mb(r.cfKeysIdx)}, the six filter indexes ` +
      `${mb(r.filterIdx)} together.`,
    g
      ? `Generation: load ${g.load.toFixed(0)} s (INSERT … SELECT generate_series, jsonb built in SQL, secondary indexes dropped), ` +
        `index rebuild + VACUUM ANALYZE ${g.indexes.toFixed(0)} s; making a field filterable on the full table ` +
        `(CREATE INDEX + ANALYZE, writes wait meanwhile): ${Object.entries(g.filterable)
          .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
          .join(', ')}.`
      : 'Generation: reused data of an earlier run.',
    `Type change of a field with values (the indexed \`sb_custom_field_keys\` probe, then refused): ${r.typeCheck.ms.toFixed(0)} ms` +
      `${r.typeCheck.refused ? '' : ' — NOT refused (bug)'}. Validator: ${r.invalid} of 1000 sampled generated records differ from what the validator stores.`,
    '',
    '| filter | kind | connections | req/s | p50 ms | p95 ms | p99 ms | records checked / wrong |',
    '|---|---|---|---|---|---|---|---|',
    ...r.results.map(
      (x) =>
        `| ${x.s.name} | ${x.s.kind} | ${x.connections} | ${x.stats.rps.toFixed(0)} | ${ms(x.stats.p50)} | ${ms(x.stats.p95)} | ${ms(x.stats.p99)} | ${x.checked} / ${x.bad} |`,
    ),
    '',
    `Worst p95: ${worst.map((w) => `${ms(w.p95)} ms at ${w.c} connection${w.c > 1 ? 's' : ''}`).join(', ')} ` +
      `(target ≤ 20 ms). Errors: ${r.results.reduce((a, x) => a + x.stats.errors, 0)}. ` +
      `Machine load average when the runs started: ${r.load} (the 2 cores are shared with other work).`,
    '',
    'Plans (EXPLAIN ANALYZE of the filter with the list order, name then id):',
    '```',
    ...r.plan,
    '```',
  ];
  const block = lines.join('\n');
  const file = path.join(ROOT, 'bench/RESULTS.md');
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  // One block per --label inside the section (e.g. the installed server, and one with shared_buffers sized for the data).
  const begin = '<!-- custom-fields:begin -->';
  const end = '<!-- custom-fields:end -->';
  const lb = `<!-- custom-fields:${LABEL}:begin -->`;
  const le = `<!-- custom-fields:${LABEL}:end -->`;
  const labelled = `${lb}\n${block}\n${le}`;
  if (!text.includes(begin)) text = `${text.trimEnd()}\n\n## Custom fields (issue 7)\n\n${begin}\n${end}\n`;
  if (text.includes(lb)) text = text.slice(0, text.indexOf(lb)) + labelled + text.slice(text.indexOf(le) + le.length);
  else text = text.slice(0, text.indexOf(end)) + `${labelled}\n` + text.slice(text.indexOf(end));
  writeFileSync(file, text);
  log(`Results written to bench/RESULTS.md`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
