/**
 * Import benchmark: generates a customers CSV (1–3 phones each in mixed
 * formats, both addresses, 5 custom fields) and a cases CSV, imports them
 * through the HTTP API of a real server (upload, then the background job),
 * and, on PostgreSQL, times a bare COPY of the same customer file into an
 * unindexed staging table: the physical floor.
 *
 *   npx tsx bench/import-bench.ts --engine postgres --customers 1000000 --cases 1000000
 *   npx tsx bench/import-bench.ts --engine pglite --customers 100000 --cases 0
 *
 * Before/after on PostgreSQL, in one run (the machine's load falls on both alike):
 *
 *   npx tsx bench/import-bench.ts --customers 20000 --cases 20000 --trees before=/tmp/sb-before,after=. --rounds 2
 *
 * imports the customers once (with the last tree's server), then, round after
 * round, each tree's server imports the cases into its own copy of that
 * database (CREATE DATABASE … TEMPLATE); reports each run and the median per
 * tree. A tree is a checkout of the project with its node_modules. With --cases 0 the trees compare the customers
 * import instead: round after round, each tree's server imports the customer file into a fresh database of its own.
 *
 * Options: --pg postgres://postgres@127.0.0.1:5432/postgres (the server; the
 * benchmark uses its own database, `--db sb_import_bench` by default), --dir /tmp/sb-import-bench
 * (where the files are written; the PostgreSQL server must be able to read it
 * for the COPY floor), --reuse-files, --port 3931, --record (append the figures
 * to bench/RESULTS.md), --heap-mb 192 (the server's V8 old-space limit; 0: Node's default). Reports rows/s, the ratio to the floor, the
 * run's CPU seconds (the server process; the bench database's backends, when PostgreSQL runs on this machine: work
 * done rather than time waited for a core, though still not steady on a loaded machine, and a backend the pool closes
 * during the run is not counted), the server's peak RSS (VmHWM) and the load average.
 */
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { cpuSecondsByPid, log, peakRssMb, ROOT, startServer, stopServer, waitHealthy } from './lib.js';

const { values: args } = parseArgs({
  options: {
    engine: { type: 'string', default: 'postgres' },
    customers: { type: 'string' },
    cases: { type: 'string' },
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    dir: { type: 'string', default: path.join(os.tmpdir(), 'sb-import-bench') },
    'reuse-files': { type: 'boolean', default: false },
    port: { type: 'string', default: '3931' },
    record: { type: 'boolean', default: false },
    'heap-mb': { type: 'string', default: '192' },
    db: { type: 'string', default: 'sb_import_bench' },
    trees: { type: 'string' },
    rounds: { type: 'string', default: '2' },
  },
});
const engine = args.engine === 'pglite' ? 'pglite' : 'postgres';
const nCustomers = Number(args.customers ?? (engine === 'postgres' ? 1_000_000 : 100_000));
const nCases = Number(args.cases ?? (engine === 'postgres' ? 1_000_000 : 0));
const port = Number(args.port);
const ADMIN = { email: 'bench@import.example', password: 'import-bench-password' };

// ------------------------------------------------------------------ files

const FIRST = ['Ann', 'Bob', 'Chloé', 'Dmitri', 'Émile', 'Fatima', 'Gareth', 'Hana', 'Ivan', 'Józef', 'Kofi', 'Lena'];
const LAST = ['Smith', 'Müller', 'García', 'Nguyen', 'Okafor', 'Rossi', 'Kowalski', 'Dubois', 'Tanaka', 'Silva'];
const CITIES = ['Springfield', 'Zürich', 'Lyon', 'Austin', 'Porto', 'Kraków', 'Osaka', 'Leeds'];
const TIERS = ['Gold', 'Silver', 'Bronze'];

/** A US number in one of the formats people type. */
function phone(i: number, k: number): string {
  const line = String((i * 7 + k * 3) % 10_000).padStart(4, '0');
  const area = ['415', '212', '617', '303'][(i + k) % 4];
  switch ((i + k) % 5) {
    case 0:
      return `(${area}) 555-${line}`;
    case 1:
      return `+1 ${area} 555 ${line}`;
    case 2:
      return `${area}.555.${line}`;
    case 3:
      return `001 ${area} 555 ${line}`;
    default:
      return `1-${area}-555-${line} x${k + 1}`;
  }
}

const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

async function writeLines(file: string, header: string, n: number, line: (i: number) => string) {
  const out = createWriteStream(file);
  out.write(header + '\n');
  let buf = '';
  for (let i = 1; i <= n; i++) {
    buf += line(i) + '\n';
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.end(buf);
  await once(out, 'finish');
}

const CUSTOMER_HEADER =
  'Account Number,First Name,Last Name,Company,Email,Phone,Mobile,Work Phone,Street,City,Region,Postal Code,Country,' +
  'Other Street,Other City,Other Region,Other Postal Code,Other Country,Notes,VIP,Tier,Customer since,Score,Newsletter,Nickname';

function customerLine(i: number): string {
  const phones = 1 + (i % 3);
  return [
    `A${i}`,
    FIRST[i % FIRST.length],
    `${LAST[(i * 7) % LAST.length]}${i}`,
    i % 4 === 0 ? q(`Acme ${i % 500}, Inc.`) : '',
    `customer${i}@example.test`,
    phone(i, 0),
    phones > 1 ? phone(i, 1) : '',
    phones > 2 ? phone(i, 2) : '',
    `${i % 900} Main Street`,
    CITIES[i % CITIES.length],
    'CA',
    String(90000 + (i % 9999)),
    'US',
    `${i % 50} Side Road`,
    CITIES[(i + 3) % CITIES.length],
    'NY',
    String(10000 + (i % 9999)),
    'US',
    i % 10 === 0 ? q(`Prefers email,\nnot calls (${i})`) : '',
    i % 20 === 0 ? 'yes' : 'no',
    TIERS[i % 3],
    `20${String(10 + (i % 14)).padStart(2, '0')}-0${1 + (i % 9)}-1${i % 9}`,
    String(i % 1000),
    i % 2 ? 'true' : 'false',
    `nick${i % 1000}`,
  ].join(',');
}

const CASE_HEADER = 'Account Number,Subject,Description,Status,Priority,Opened At';
function caseLine(i: number): string {
  const customer = 1 + ((i * 7919) % nCustomers);
  return [
    `A${customer}`,
    `Case ${i}: printer jams`,
    q(`The printer jams on page ${i % 10}.\nTried the usual.`),
    i % 3 === 0 ? 'closed' : 'open',
    ['low', 'normal', 'high'][i % 3],
    `2024-0${1 + (i % 9)}-1${i % 9}T10:${String(i % 60).padStart(2, '0')}:00Z`,
  ].join(',');
}

// ------------------------------------------------------------------ server

class Api {
  private headers: Record<string, string> = {};
  constructor(private readonly base: string) {}
  async signIn() {
    const res = await fetch(`${this.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
    });
    const cookie = res.headers
      .getSetCookie()
      .find((c) => c.startsWith('sb_session='))!
      .split(';')[0];
    this.headers = { cookie, 'x-csrf-token': ((await res.json()) as { csrfToken: string }).csrfToken };
  }
  async call<T>(method: string, url: string, body?: unknown): Promise<T> {
    const send = () =>
      fetch(`${this.base}${url}`, {
        method,
        headers: { ...this.headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const res = await send().catch(() => send());
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }
  async upload(file: string, objectType: string): Promise<{ id: string; totalRows: number }> {
    const { openAsBlob } = await import('node:fs');
    const res = await fetch(`${this.base}/api/v1/imports?objectType=${objectType}&fileName=${path.basename(file)}`, {
      method: 'POST',
      headers: { ...this.headers, 'content-type': 'text/csv' },
      body: await openAsBlob(file),
    });
    const text = await res.text();
    if (res.status !== 201) throw new Error(`upload ${res.status}: ${text}`);
    return JSON.parse(text) as { id: string; totalRows: number };
  }
}

interface Result {
  what: string;
  rows: number;
  uploadS: number;
  runS: number;
  totalS: number;
  counts: Record<string, number>;
  rssMb: number;
  load: string;
  /** CPU seconds the run used: the server process, and the bench database's backends (PostgreSQL on this machine). */
  serverCpuS: number;
  dbCpuS: number | null;
}

/**
 * CPU seconds used so far by the server and by the backends connected to the
 * bench's database (read from /proc: the PostgreSQL server must run on this
 * machine; null otherwise): the work done, not the time spent waiting for a
 * share of the cores.
 */
async function cpuNow(serverPid: number, dbUrl: string | null): Promise<{ server: number; db: Map<number, number> }> {
  const server = cpuSecondsByPid([serverPid]).get(serverPid) ?? NaN;
  if (!dbUrl) return { server, db: new Map() };
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  try {
    const pids = (
      await c.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      )
    ).rows.map((r) => r.pid);
    return { server, db: cpuSecondsByPid(pids) };
  } finally {
    await c.end();
  }
}

async function importOne(
  api: Api,
  pid: number,
  dbUrl: string | null,
  file: string,
  objectType: string,
  settings: object,
): Promise<Result> {
  const t0 = performance.now();
  const up = await api.upload(file, objectType);
  const cpu0 = await cpuNow(pid, dbUrl);
  const t1 = performance.now();
  await api.call('POST', `/api/v1/imports/${up.id}/start`, settings);
  let counts: Record<string, number>;
  for (;;) {
    const run = (
      await api.call<{ run: { status: string; counts: Record<string, number> } }>('GET', `/api/v1/imports/${up.id}`)
    ).run;
    counts = run.counts;
    if (run.status !== 'queued' && run.status !== 'running') {
      if (run.status !== 'completed') throw new Error(`import ${run.status}`);
      break;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const t2 = performance.now();
  const cpu1 = await cpuNow(pid, dbUrl);
  let dbCpu = 0;
  for (const [p, s] of cpu1.db) dbCpu += s - (cpu0.db.get(p) ?? 0);
  return {
    serverCpuS: cpu1.server - cpu0.server,
    dbCpuS: dbUrl && cpu1.db.size > 0 ? dbCpu : null,
    what: objectType,
    rows: up.totalRows,
    uploadS: (t1 - t0) / 1000,
    runS: (t2 - t1) / 1000,
    totalS: (t2 - t0) / 1000,
    counts,
    rssMb: peakRssMb(pid),
    load: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  };
}

/** The floor: COPY of the customer file into an unindexed table of text columns (server-side read). */
async function copyFloor(url: string, file: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const cols = CUSTOMER_HEADER.split(',')
      .map((_, i) => `c${i} text`)
      .join(', ');
    await c.query(`DROP TABLE IF EXISTS import_floor; CREATE UNLOGGED TABLE import_floor (${cols})`);
    await c.query('ALTER TABLE import_floor SET LOGGED');
    const t0 = performance.now();
    await c.query(`COPY import_floor FROM '${file.replace(/'/g, "''")}' WITH (FORMAT csv, HEADER true)`);
    const s = (performance.now() - t0) / 1000;
    await c.query('DROP TABLE import_floor');
    return s;
  } finally {
    await c.end();
  }
}

/** The customer file's five custom fields. */
async function createCustomerFields(api: Api) {
  const fields = [
    {
      key: 'tier',
      label: 'Tier',
      type: 'singlePick',
      options: TIERS.map((t) => ({ key: t.toLowerCase(), label: t })),
    },
    { key: 'since', label: 'Customer since', type: 'date' },
    { key: 'score', label: 'Score', type: 'number' },
    { key: 'newsletter', label: 'Newsletter', type: 'boolean' },
    { key: 'nickname', label: 'Nickname', type: 'text' },
  ];
  for (const f of fields) await api.call('POST', '/api/v1/custom-fields', { objectType: 'customer', ...f });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The server's environment for one database. */
function serverEnv(dbUrl: string): Record<string, string | undefined> {
  return {
    DATABASE_URL: dbUrl,
    STATEMENT_TIMEOUT_MS: '120000',
    SWITCHBOARD_ADMIN_EMAIL: ADMIN.email,
    SWITCHBOARD_ADMIN_PASSWORD: ADMIN.password,
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
    IMPORT_MAX_BYTES: String(4 * 1024 ** 3),
    NODE_OPTIONS: Number(args['heap-mb']) > 0 ? `--max-old-space-size=${args['heap-mb']}` : process.env.NODE_OPTIONS,
  };
}

type TreeRun = Result & { tree: string; round: number; loadBefore: string };

/** The trees' runs, one line each, and each tree's medians. */
function printRuns(trees: { name: string }[], runs: TreeRun[]) {
  const medianRun = (tree: string) => median(runs.filter((r) => r.tree === tree).map((r) => r.runS));
  const lines = [
    `| version | round | rows | run s | rows/s (run) | run CPU s server / database | server peak RSS | load average before → after |`,
    '|---|---|---|---|---|---|---|---|',
    ...runs.map(
      (r) =>
        `| ${r.tree} | ${r.round} | ${r.rows.toLocaleString('en-US')} | ${r.runS.toFixed(1)} | ` +
        `${Math.round(r.rows / r.runS).toLocaleString('en-US')} | ${r.serverCpuS.toFixed(1)} / ` +
        `${r.dbCpuS === null ? '—' : r.dbCpuS.toFixed(1)} | ${r.rssMb.toFixed(0)} MB | ${r.loadBefore} → ${r.load} |`,
    ),
    '',
    ...trees.map((t) => {
      const mine = runs.filter((r) => r.tree === t.name);
      const runS = median(mine.map((r) => r.runS));
      return (
        `${t.name}: median run ${runS.toFixed(1)} s (${Math.round(mine[0].rows / runS).toLocaleString('en-US')} rows/s), ` +
        `server CPU ${median(mine.map((r) => r.serverCpuS)).toFixed(1)} s, database CPU ` +
        `${median(mine.map((r) => r.dbCpuS ?? NaN)).toFixed(1)} s, peak RSS ` +
        `${median(mine.map((r) => r.rssMb)).toFixed(0)} MB` +
        (t === trees[0]
          ? ''
          : `; median run time ÷ ${trees[0].name}'s: ${(runS / medianRun(trees[0].name)).toFixed(2)}`)
      );
    }),
    '',
  ];
  log(lines.join('\n'));
}

const loadNow = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

function treesArg() {
  return args.trees!.split(',').map((t) => {
    const [name, dir] = t.split('=');
    return { name, root: path.resolve(dir) };
  });
}

/** What both comparisons start from: the trees, the rounds, the databases' base name and a connection to create them. */
async function comparison() {
  const base = args.db!;
  if (!/^[a-z_][a-z0-9_]*$/.test(base)) throw new Error(`--db ${base}: a lower-case SQL name`);
  const admin = new pg.Client({ connectionString: args.pg });
  await admin.connect();
  const urlOf = (db: string) => {
    const u = new URL(args.pg!);
    u.pathname = `/${db}`;
    return u.toString();
  };
  return { trees: treesArg(), rounds: Number(args.rounds), base, admin, urlOf };
}

type Comparison = Awaited<ReturnType<typeof comparison>>;

/**
 * One import of `file` per tree, alternated round after round, each by that tree's server into a database of
 * its own: empty (then given the five custom fields first) or a copy of `template`; the runs printed side by side.
 */
async function alternate(
  { trees, rounds, base, admin, urlOf }: Comparison,
  file: string,
  object: 'customers' | 'cases',
  template: string | null,
) {
  const runs: TreeRun[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const tree of trees) {
      const db = `${base}_${tree.name.replace(/[^a-z0-9_]/g, '_')}`;
      await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${db}${template ? ` TEMPLATE ${template}` : ''}`);
      const loadBefore = loadNow();
      const child = startServer(port, serverEnv(urlOf(db)), [], tree.root);
      try {
        await waitHealthy(port);
        const api = new Api(`http://127.0.0.1:${port}`);
        await api.signIn();
        if (!template) await createCustomerFields(api);
        const r = await importOne(api, child.pid!, urlOf(db), file, object, { mode: 'create' });
        runs.push({ ...r, tree: tree.name, round, loadBefore });
        log(`${tree.name} round ${round}: ${JSON.stringify(r)}`);
      } finally {
        await stopServer(child);
        await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      }
    }
  }
  printRuns(trees, runs);
}

/**
 * Customers imported by several versions of the server (--trees name=dir,… with --cases 0), alternated round after
 * round, each into a fresh database of its own (the same five custom fields).
 */
async function compareCustomers(customersFile: string) {
  const c = await comparison();
  try {
    await alternate(c, customersFile, 'customers', null);
  } finally {
    await c.admin.end();
  }
}

/**
 * Cases imported by several versions of the server (--trees name=dir,…), alternated round after round, each
 * into its own copy of one database holding the customers (imported once, by the last tree's server).
 */
async function compareCases(customersFile: string, casesFile: string) {
  const c = await comparison();
  const { trees, base, admin, urlOf } = c;
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${base} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${base}`);
    const last = trees[trees.length - 1];
    const child = startServer(port, serverEnv(urlOf(base)), [], last.root);
    try {
      await waitHealthy(port);
      const api = new Api(`http://127.0.0.1:${port}`);
      await api.signIn();
      await createCustomerFields(api);
      const customers = await importOne(api, child.pid!, urlOf(base), customersFile, 'customers', { mode: 'create' });
      log(`customers (${last.name}): ${JSON.stringify(customers)}`);
    } finally {
      await stopServer(child);
    }
    await alternate(c, casesFile, 'cases', base);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${base} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}

async function main() {
  mkdirSync(args.dir!, { recursive: true });
  const customersFile = path.join(args.dir!, `customers-${nCustomers}.csv`);
  const casesFile = path.join(args.dir!, `cases-${nCases}-of-${nCustomers}.csv`);
  if (!args['reuse-files'] || !existsSync(customersFile)) {
    log(`writing ${nCustomers} customers to ${customersFile}`);
    await writeLines(customersFile, CUSTOMER_HEADER, nCustomers, customerLine);
  }
  if (nCases > 0 && (!args['reuse-files'] || !existsSync(casesFile))) {
    log(`writing ${nCases} cases to ${casesFile}`);
    await writeLines(casesFile, CASE_HEADER, nCases, caseLine);
  }
  log(`customers file: ${(statSync(customersFile).size / 1e6).toFixed(1)} MB`);
  if (args.trees) {
    if (engine !== 'postgres') throw new Error('--trees compares imports on PostgreSQL');
    if (nCases === 0) await compareCustomers(customersFile);
    else await compareCases(customersFile, casesFile);
    return;
  }

  let env: Record<string, string | undefined>;
  let dbUrl: string | null = null;
  let dataDir: string | null = null;
  if (engine === 'postgres') {
    const admin = new pg.Client({ connectionString: args.pg });
    await admin.connect();
    const db = args.db!;
    if (!/^[a-z_][a-z0-9_]*$/.test(db)) throw new Error(`--db ${db}: a lower-case SQL name`);
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${db}`);
    await admin.end();
    const u = new URL(args.pg!);
    u.pathname = `/${db}`;
    dbUrl = u.toString();
    env = { DATABASE_URL: dbUrl, STATEMENT_TIMEOUT_MS: '120000' };
  } else {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'sb-import-bench-db-'));
    env = { DATA_DIR: dataDir, DATABASE_URL: undefined };
  }
  const child = startServer(port, {
    ...env,
    SWITCHBOARD_ADMIN_EMAIL: ADMIN.email,
    SWITCHBOARD_ADMIN_PASSWORD: ADMIN.password,
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
    IMPORT_MAX_BYTES: String(4 * 1024 ** 3),
    // V8 grows its heap lazily up to a limit set from the machine's memory: the cap shows what an import needs.
    NODE_OPTIONS: Number(args['heap-mb']) > 0 ? `--max-old-space-size=${args['heap-mb']}` : process.env.NODE_OPTIONS,
  });
  const results: Result[] = [];
  let floorS: number | null = null;
  try {
    await waitHealthy(port);
    const api = new Api(`http://127.0.0.1:${port}`);
    await api.signIn();
    await createCustomerFields(api);

    if (dbUrl) {
      floorS = await copyFloor(dbUrl, customersFile);
      log(`bare COPY of the customer file: ${floorS.toFixed(1)} s (${Math.round(nCustomers / floorS)} rows/s)`);
    }
    const r1 = await importOne(api, child.pid!, dbUrl, customersFile, 'customers', { mode: 'create' });
    results.push(r1);
    log(JSON.stringify(r1));
    if (nCases > 0) {
      const r2 = await importOne(api, child.pid!, dbUrl, casesFile, 'cases', { mode: 'create' });
      results.push(r2);
      log(JSON.stringify(r2));
    }
  } finally {
    await stopServer(child);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }

  const lines = [
    `### Imports, ${engine}, ${nCustomers.toLocaleString('en-US')} customers${nCases ? `, ${nCases.toLocaleString('en-US')} cases` : ''} (${new Date().toISOString().slice(0, 10)})`,
    '',
    `${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}, server heap limit ` +
      `${Number(args['heap-mb']) > 0 ? `${args['heap-mb']} MB` : 'default'}.`,
    '',
    '| import | rows | upload s | run s | total s | rows/s | vs COPY floor | run CPU s: server / database | server peak RSS | load average (1/5/15) |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.what} | ${r.rows.toLocaleString('en-US')} | ${r.uploadS.toFixed(1)} | ${r.runS.toFixed(1)} | ${r.totalS.toFixed(1)} | ` +
        `${Math.round(r.rows / r.totalS).toLocaleString('en-US')} | ` +
        `${floorS && r.what === 'customers' ? `${(r.totalS / floorS).toFixed(1)}× (${floorS.toFixed(1)} s)` : '—'} | ` +
        `${r.serverCpuS.toFixed(1)} / ${r.dbCpuS === null ? '—' : r.dbCpuS.toFixed(1)} | ` +
        `${r.rssMb.toFixed(0)} MB | ${r.load} |`,
    ),
    '',
  ];
  log(lines.join('\n'));
  if (args.record) {
    const file = path.join(ROOT, 'bench', 'RESULTS.md');
    writeFileSync(file, readFileSync(file, 'utf8').trimEnd() + '\n\n' + lines.join('\n'));
  }
}

await main();
