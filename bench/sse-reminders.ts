/**
 * Benchmark: many agents connected over SSE to ONE server process while
 * reminders fall due at a steady rate. Measures the delay from each reminder's
 * due time to its arrival at the agent's client (p50/p99/max), checks every
 * reminder arrives exactly once at the right agent, and reads the server's
 * memory (VmRSS/VmHWM from /proc).
 *
 *   ulimit -n 20000        # 2,000 sockets on each side of the loopback
 *   npx tsx bench/sse-reminders.ts --db pglite
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/sse-reminders.ts --db postgres
 *
 * Options: --clients 2000 --rate 100 (reminders/s) --seconds 60 --workers 4
 * (client processes) --lead 90 (PGlite: seconds between setup and the first
 * reminder, to start the server and connect everyone). PostgreSQL: a fresh
 * database is created and dropped; PGlite: a temporary data directory.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig, type Config } from '../src/config.js';
import type { Db } from '../src/db/adapter.js';
import { migrate } from '../src/db/migrate.js';
import { openDatabase } from '../src/db/open.js';
import { systemActor } from '../src/http/actor.js';
import { CustomersService } from '../src/modules/customers/service.js';
import { TasksService } from '../src/modules/tasks/service.js';
import { AuthService } from '../src/modules/users/auth-service.js';
import { UsersService } from '../src/modules/users/service.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: opt } = parseArgs({
  options: {
    db: { type: 'string', default: 'pglite' },
    clients: { type: 'string', default: '2000' },
    rate: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '60' },
    workers: { type: 'string', default: '4' },
    lead: { type: 'string', default: '90' },
  },
});
const CLIENTS = Number(opt.clients);
const RATE = Number(opt.rate);
const SECONDS = Number(opt.seconds);
const WORKERS = Number(opt.workers);
const TOTAL = RATE * SECONDS;
const ENGINE = opt.db === 'postgres' ? 'postgres' : 'pglite';
const PORT = 3900 + Math.floor(Math.random() * 90);

const log = (...a: unknown[]) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...a);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function procStatus(pid: number): { rssMb: number; hwmMb: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? 0);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks of 1/100 s
}
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function inBatches<T>(n: number, parallel: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let i = next++; i < n; i = next++) out[i] = await fn(i);
    }),
  );
  return out;
}

/** Users with API keys, one customer, TOTAL tasks each with a reminder (times set later by `schedule`). */
async function setup(db: Db, config: Config): Promise<{ keys: string[]; assignees: Map<string, string> }> {
  await migrate(db);
  const parallel = ENGINE === 'postgres' ? 10 : 1;
  const users = new UsersService(db, config);
  const auth = new AuthService(db, config, users);
  const tasks = new TasksService(db, users);
  const actor = systemActor('import', 'bench');
  const customer = await new CustomersService(db, config).create(actor, { firstName: 'Bench', lastName: 'Customer' });
  log(`creating ${CLIENTS} agents with API keys`);
  const agents = await inBatches(CLIENTS, parallel, async (i) => {
    const u = await users.create(null, {
      email: `agent${i}.${randomBytes(3).toString('hex')}@bench.test`,
      password: 'bench-password-1',
      role: 'agent',
      firstName: 'Agent',
      lastName: String(i),
    });
    const k = await auth.createApiKey(null, { userId: u.id, scope: 'full', name: 'bench' });
    return { id: u.id, key: k.key };
  });
  log(`creating ${TOTAL} tasks`);
  const far = new Date(Date.now() + 7 * 24 * 3600_000).toISOString();
  const assignees = new Map<string, string>();
  await inBatches(TOTAL, parallel, async (i) => {
    const assignee = agents[i % agents.length];
    const t = await tasks.create(actor, {
      type: 'call',
      subject: `r${i}`,
      customerId: customer.id,
      assigneeId: assignee.id,
      dueAt: far,
      remindAt: far,
    });
    assignees.set(t.id, assignee.id);
  });
  return { keys: agents.map((a) => `${a.id}:${a.key}`), assignees };
}

/** Sets reminder i to fall due at t0 + i/RATE seconds (the bench's own tables, straight in SQL). */
async function schedule(db: Db, t0: number): Promise<void> {
  await db.query(
    `UPDATE tasks SET remind_at = $1::timestamptz + (substring(subject from 2)::int * 1000.0 / $2) * interval '1 millisecond',
       due_at = $1::timestamptz + interval '1 day' WHERE subject ~ '^r[0-9]+$'`,
    [new Date(t0), RATE],
  );
  await db.query(
    `UPDATE reminders r SET scheduled_for = CASE WHEN r.kind = 'before' THEN t.remind_at ELSE t.due_at END,
       fire_at = CASE WHEN r.kind = 'before' THEN t.remind_at ELSE t.due_at END
     FROM tasks t WHERE t.id = r.task_id`,
  );
}

function startServer(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/switchboard.mjs'), 'serve'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, HOST: '127.0.0.1', PORT: String(PORT), ...env },
  });
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('Switchboard is running')) resolve(child);
    });
    child.stderr!.on('data', (d) => process.stderr.write(`[server] ${d}`));
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
}

async function main(): Promise<void> {
  const baseEnv = { LOG_LEVEL: 'warn', ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1' };
  let dbEnv: Record<string, string>;
  let cleanup: () => Promise<void>;
  if (ENGINE === 'postgres') {
    const base = process.env.BENCH_DATABASE_URL;
    if (!base) throw new Error('set BENCH_DATABASE_URL for --db postgres');
    const name = `sbbench_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(base);
    url.pathname = `/${name}`;
    dbEnv = { DATABASE_URL: url.toString() };
    cleanup = async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
  } else {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sbbench-'));
    dbEnv = { DATA_DIR: dir };
    cleanup = () => rm(dir, { recursive: true, force: true });
  }
  const config = loadConfig({ ...baseEnv, ...dbEnv, LOG_LEVEL: 'silent' });
  let server: ChildProcess | null = null;
  const workers: ChildProcess[] = [];
  try {
    const db = await openDatabase(config);
    const t1 = Date.now();
    const { keys, assignees } = await setup(db, config);
    log(`setup took ${((Date.now() - t1) / 1000).toFixed(1)} s`);
    let t0 = 0;
    if (ENGINE === 'pglite') {
      t0 = Date.now() + Number(opt.lead) * 1000;
      await schedule(db, t0);
      await db.close(); // PGlite: one process at a time; the server opens it next
    }
    server = await startServer({ ...baseEnv, ...dbEnv });
    const pid = server.pid!;
    log(`server pid ${pid} up, ${procStatus(pid).rssMb.toFixed(0)} MB RSS; connecting ${CLIENTS} clients`);

    const url = `http://127.0.0.1:${PORT}/api/v1/events`;
    const tc = Date.now();
    const per = Math.ceil(keys.length / WORKERS);
    const connected = await Promise.all(
      Array.from({ length: WORKERS }, (_, w) => {
        const child = fork(path.join(ROOT, 'bench/sse-client-worker.ts'), [], { execArgv: ['--import', 'tsx'] });
        workers.push(child);
        return new Promise<{ connected: number; failed: number }>((resolve) => {
          child.once('message', (m) => resolve(m as { connected: number; failed: number }));
          child.send({ cmd: 'start', url, keys: keys.slice(w * per, (w + 1) * per), concurrency: 25 });
        });
      }),
    );
    const nConnected = connected.reduce((s, c) => s + c.connected, 0);
    const nFailed = connected.reduce((s, c) => s + c.failed, 0);
    log(`${nConnected} connected (${nFailed} failed) in ${((Date.now() - tc) / 1000).toFixed(1)} s`);
    await sleep(2000);
    const idle = procStatus(pid);
    log(`idle with ${nConnected} streams: ${idle.rssMb.toFixed(0)} MB RSS`);
    if (ENGINE === 'postgres') {
      t0 = Date.now() + 3000;
      await schedule(db, t0);
      await db.close();
    }
    if (Date.now() > t0)
      log(`WARNING: clients connected ${((Date.now() - t0) / 1000).toFixed(1)} s after the first reminder`);
    const cpu0 = cpuSeconds(pid);
    const w0 = Date.now();
    const samples: number[] = [];
    const end = t0 + SECONDS * 1000 + 5000;
    while (Date.now() < end) {
      await sleep(1000);
      samples.push(procStatus(pid).rssMb);
    }
    const cpu = (cpuSeconds(pid) - cpu0) / ((Date.now() - w0) / 1000);
    const mem = procStatus(pid);

    const reports = await Promise.all(
      workers.map(
        (child) =>
          new Promise<{ received: [string, string, number][]; ended: number }>((resolve) => {
            child.once('message', (m) => resolve(m as { received: [string, string, number][]; ended: number }));
            child.send({ cmd: 'report' });
          }),
      ),
    );
    const received = reports.flatMap((r) => r.received);
    const perTask = new Map<string, number>();
    let wrong = 0;
    for (const [user, task] of received) {
      perTask.set(task, (perTask.get(task) ?? 0) + 1);
      if (assignees.get(task) !== user) wrong++;
    }
    const dupes = [...perTask.values()].filter((n) => n > 1).length;
    const lat = received.map((r) => r[2]).sort((a, b) => a - b);
    const result = {
      engine: ENGINE,
      clients: nConnected,
      reminders: TOTAL,
      ratePerSecond: RATE,
      delivered: perTask.size,
      lost: TOTAL - perTask.size,
      duplicates: dupes,
      wrongAgent: wrong,
      droppedStreams: reports.reduce((s, r) => s + r.ended, 0),
      latencyMs: { p50: pct(lat, 50), p90: pct(lat, 90), p99: pct(lat, 99), max: lat[lat.length - 1] },
      serverMemoryMb: {
        idleRss: Math.round(idle.rssMb),
        peakRss: Math.round(Math.max(...samples)),
        vmHwm: Math.round(mem.hwmMb),
      },
      serverCpuCores: Number(cpu.toFixed(2)),
      machine: `${os.cpus().length} cores, ${os.cpus()[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 2 ** 30)} GB`,
      node: process.version,
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    for (const w of workers) if (w.exitCode === null) w.kill();
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server!.once('exit', r));
    }
    await cleanup();
  }
}

await main();
