import pg from 'pg';
/**
 * Helpers shared by the benchmark scripts (customers-bench.ts, cases-bench.ts,
 * screenpop-bench.ts): latency statistics, the HTTP (autocannon) and direct
 * load loops, phone-number formats, and starting/stopping `switchboard serve`.
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root (bench/..). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const log = (s: string) => process.stdout.write(`${s}\n`);

// ------------------------------------------------------------------ stats

export interface Stats {
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  n: number;
  errors: number;
}

/** Rate and percentiles of the successful latencies (ms) of a run of `seconds`. */
export function stats(latencies: number[], seconds: number, errors: number): Stats {
  const s = Float64Array.from(latencies).sort();
  const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN);
  return { rps: s.length / seconds, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1), n: s.length, errors };
}

/**
 * One line for the log: `… req/s, p50 … ms, p95 … ms, p99 … ms (n ok, e errors)`;
 * `unit` replaces ` req/s`, and `max` adds the maximum latency.
 */
export function fmt(s: Stats, opts: { unit?: string; max?: boolean } = {}): string {
  const { unit = ' req/s', max = false } = opts;
  return (
    `${s.rps.toFixed(0)}${unit}, p50 ${s.p50.toFixed(2)} ms, p95 ${s.p95.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms` +
    (max ? `, max ${s.max.toFixed(1)} ms` : '') +
    ` (${s.n} ok, ${s.errors} errors)`
  );
}

// ------------------------------------------------------------------ load

/**
 * GETs `urls` in turn over `connections` connections to the server on `port`
 * for `seconds` (autocannon), each connection sending its next request as
 * soon as the last is answered; a non-2xx answer counts as an error.
 */
export function runHttp(
  port: number,
  urls: string[],
  headers: Record<string, string>,
  seconds: number,
  connections: number,
): Promise<Stats> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    let errors = 0;
    let i = 0;
    const t0 = performance.now();
    const inst = autocannon(
      {
        url: `http://127.0.0.1:${port}`,
        connections,
        duration: seconds,
        headers,
        requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: urls[i++ % urls.length] }) }],
      },
      (err, res) => {
        if (err) return reject(err);
        resolve(stats(latencies, (performance.now() - t0) / 1000, errors + res.errors + res.timeouts));
      },
    );
    inst.on('response', (_c, status, _b, ms) => {
      if (status >= 200 && status < 300) latencies.push(ms);
      else errors++;
    });
  });
}

/**
 * GETs `urls` in turn at a steady `rate` per second for `seconds`, over
 * `connections` keep-alive connections taken in turn: an open loop, as calls reach a
 * contact center (a request is sent when it is due, whether or not earlier
 * ones are answered). Latency runs from when a request was due to its answer,
 * so time spent waiting for a free connection counts too. (autocannon's own
 * rate limit sends each second's requests in a burst at the top of the second,
 * which measures the burst's queue rather than a steady load.)
 */
export async function runPaced(
  port: number,
  urls: string[],
  headers: Record<string, string>,
  seconds: number,
  connections: number,
  rate: number,
): Promise<Stats> {
  // fifo: free connections are taken in turn, so all of them carry the load once opened.
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections, scheduling: 'fifo' });
  const latencies: number[] = [];
  let errors = 0;
  const get = (path: string, due: number) =>
    new Promise<void>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path, headers, agent }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode && res.statusCode >= 200 && res.statusCode < 300) latencies.push(performance.now() - due);
          else errors++;
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
    });
  // Open every connection first (one request each, not counted).
  await Promise.all(Array.from({ length: connections }, (_, i) => get(urls[i % urls.length], performance.now())));
  latencies.length = 0;
  errors = 0;
  const inFlight: Promise<void>[] = [];
  const t0 = performance.now();
  const total = Math.floor(seconds * rate);
  for (let n = 0; n < total; n++) {
    const due = t0 + (n * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(get(urls[n % urls.length], due));
  }
  await Promise.all(inFlight);
  agent.destroy();
  return stats(latencies, (performance.now() - t0) / 1000, errors);
}

/** Calls `fn(i)` back to back from `concurrency` callers for `seconds`; a throw counts as an error. */
export async function runDirect(
  concurrency: number,
  fn: (i: number) => Promise<unknown>,
  seconds: number,
): Promise<Stats> {
  const latencies: number[] = [];
  let errors = 0;
  let i = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          await fn(i++);
          latencies.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  return stats(latencies, (performance.now() - t0) / 1000, errors);
}

// ------------------------------------------------------------------ inputs

/**
 * One US number in the formats people and platforms send ("(415) 555-0123",
 * "001 415 555 0123", …), the `i`-th in turn; `with011` adds "011 1 415 555 0123"
 * (7 formats instead of 6).
 */
export function formats(e164: string, i: number, opts: { with011?: boolean } = {}): string {
  const [a, x, l] = [e164.slice(2, 5), e164.slice(5, 8), e164.slice(8)];
  const all = [
    `(${a}) ${x}-${l}`,
    `+1 ${a}-${x}-${l}`,
    `${a}${x}${l}`,
    `001 ${a} ${x} ${l}`,
    ...(opts.with011 ? [`011 1 ${a} ${x} ${l}`] : []),
    `1-${a}-${x}-${l}`,
    e164,
  ];
  return all[i % all.length];
}

/** Shuffles `xs` in place (Fisher–Yates) and returns it. */
export function shuffle<T>(xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

// ------------------------------------------------------------------ the server

/**
 * Spawns `node bin/switchboard.mjs serve` on 127.0.0.1:`port` (LOG_LEVEL warn),
 * with this process's environment plus `env`; a key set to undefined is removed.
 * BENCH_SERVER_NODE_ARGS passes options to the server's node (e.g. `--cpu-prof
 * --cpu-prof-dir=/tmp/prof` to see where its time goes).
 */
export function startServer(
  port: number,
  env: Record<string, string | undefined>,
  serveArgs: string[] = [],
  /** The checkout whose server runs (a before/after comparison runs another copy of the tree). */
  root: string = ROOT,
): ChildProcess {
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    // Benchmarks measure throughput: API rate limits off unless set (to measure the limiter's own cost,
    // run with e.g. RATE_LIMIT_LOOKUP_PER_MINUTE=100000000 in the environment).
    RATE_LIMIT_PER_MINUTE: process.env.RATE_LIMIT_PER_MINUTE ?? '0',
    RATE_LIMIT_LOOKUP_PER_MINUTE: process.env.RATE_LIMIT_LOOKUP_PER_MINUTE ?? '0',
    ...env,
  };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete childEnv[key];
  return spawn(
    process.execPath,
    [
      ...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean),
      path.join(root, 'bin/switchboard.mjs'),
      'serve',
      ...serveArgs,
    ],
    {
      cwd: root,
      env: childEnv,
      stdio: ['ignore', process.env.BENCH_SERVER_STDOUT ? 'inherit' : 'ignore', 'inherit'],
    },
  );
}

/** Waits (up to 2 minutes) for the server on `port` to answer /healthz. */
export async function waitHealthy(port: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('server did not start');
}

/** SIGTERM, then SIGKILL if the server has not exited within 10 s. */
export async function stopServer(child: ChildProcess): Promise<void> {
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([done, new Promise((r) => setTimeout(r, 10_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

/** A process's peak resident set size (VmHWM) in MB. */
export function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

// ------------------------------------------------------------------ CPU accounting

/** USER_HZ: the unit of /proc's CPU times (100 on Linux everywhere in practice). */
const CLOCK_TICKS = 100;

/** CPU seconds (user + system) each process has used so far, from /proc/<pid>/stat (Linux). */
export function cpuSecondsByPid(pids: number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      // The fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(pid, (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS);
    } catch {
      // the process has exited
    }
  }
  return out;
}

/** The PostgreSQL server's processes on this machine (postmaster, backends, background workers). */
export function postgresPids(database?: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
      // A backend's title is "postgres: [<cluster>: ]<user> <database> <client> <state>".
      const title = /^postgres: (?:\S+: )?\S+ (\S+) /.exec(readFileSync(`/proc/${entry}/cmdline`, 'utf8'));
      if (database && title?.[1] !== database) continue;
      pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/**
 * CPU used while `run` runs, in seconds: by the server process, by PostgreSQL
 * (all its processes; a backend that exits meanwhile is not counted) and by
 * this process (the load generator).
 */
export async function measureCpu<T>(
  serverPid: number,
  run: () => Promise<T>,
  /** Also count apart the PostgreSQL backends connected to this database (others' work left out). */
  database?: string,
): Promise<{ result: T; server: number; postgres: number; client: number; database: number }> {
  // The server is the process and its descendants (`serve --workers N` forks N workers).
  const serverPids = () => [serverPid, ...descendants(serverPid)];
  const pgBefore = cpuSecondsByPid(postgresPids());
  const dbBefore = database ? cpuSecondsByPid(postgresPids(database)) : new Map<number, number>();
  const serverBefore = cpuSecondsByPid(serverPids());
  const clientBefore = process.cpuUsage();
  const result = await run();
  const client = process.cpuUsage(clientBefore);
  let server = 0;
  for (const [pid, after] of cpuSecondsByPid(serverPids())) server += after - (serverBefore.get(pid) ?? 0);
  let postgres = 0;
  for (const [pid, after] of cpuSecondsByPid(postgresPids())) postgres += after - (pgBefore.get(pid) ?? 0);
  let ownDb = 0;
  if (database) {
    // Backends opened meanwhile count from 0; one that exited meanwhile is not counted.
    for (const [pid, after] of cpuSecondsByPid(postgresPids(database))) ownDb += after - (dbBefore.get(pid) ?? 0);
  }
  return {
    result,
    server,
    postgres,
    database: ownDb,
    client: (client.user + client.system) / 1e6,
  };
}

/** Every process below `pid` (children, their children, …), from /proc/<pid>/stat's parent field. */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const below = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [child, parent] of parentOf) {
      if (below.has(parent) && !below.has(child)) {
        below.add(child);
        out.push(child);
        grew = true;
      }
    }
  }
  return out;
}

/**
 * A benchmark's own database on the server `adminUrl` points to: dropped first when
 * `fresh`, created when missing (kept between runs otherwise). True when it was created.
 */
export async function ensureBenchDatabase(adminUrl: string, name: string, fresh: boolean): Promise<boolean> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    if (fresh) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount) return false;
    await admin.query(`CREATE DATABASE ${name}`);
    return true;
  } finally {
    await admin.end();
  }
}
