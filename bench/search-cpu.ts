/**
 * Global search, CPU time per request: the server process's and its PostgreSQL backends'
 * (utime + stime from /proc), per query class, for one or several checkouts in turn. Less
 * sensitive than latency to other work on a shared machine: a request's CPU time is what
 * ten connections on two cores queue behind. Run on data made by bench/search-bench.ts.
 *
 *   npx tsx bench/search-cpu.ts --db sb_bench_search_0_05 --roots /path/to/before,. --rounds 2
 *
 * Options: --db (required), --pg postgres://postgres@127.0.0.1:5432/postgres, --roots (checkouts,
 * each built; default: this one), --rounds 1, --requests 150 per class, --connections 10.
 * Linux only (reads /proc). Prints; writes nothing.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { openPostgres } from '../src/db/adapter.js';
import { AuthService } from '../src/modules/users/auth-service.js';
import { UsersService } from '../src/modules/users/service.js';
import { texts } from './cases-generate.js';
import { log, ROOT, startServer, stopServer, waitHealthy } from './lib.js';

const { values: args } = parseArgs({
  options: {
    db: { type: 'string' },
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    roots: { type: 'string', default: ROOT },
    rounds: { type: 'string', default: '1' },
    requests: { type: 'string', default: '150' },
    connections: { type: 'string', default: '10' },
    port: { type: 'string', default: '3942' },
  },
});
if (!args.db) throw new Error('--db: the database bench/search-bench.ts made');
const url = (() => {
  const u = new URL(args.pg!);
  u.pathname = `/${args.db}`;
  return u.toString();
})();
const N = Number(args.requests);
const C = Number(args.connections);
const PORT = Number(args.port);

/** The classes of bench/search-bench.ts, from the same vocabulary (phone digits: fixed samples). */
function classes(): [string, string[]][] {
  const { vocab } = texts();
  const at = (ranks: number[]) => ranks.map((r) => vocab[r - 1]);
  return [
    ['frequent', at([1, 2, 3, 5, 8, 12])],
    ['middling', at([30, 70, 150, 400])],
    ['rare', at([900, 2000, 3000, 4500])],
    ['two words', [1, 2, 5].map((r, i) => `${vocab[r - 1]} ${vocab[[900, 2000, 4500][i] - 1]}`)],
    ['absent', ['zzqxwv', 'qqjjxx', 'xyzzyplugh']],
    ['partial', at([2, 30, 150, 900, 3000]).map((w) => w.slice(0, Math.max(4, Math.min(5, w.length - 1))))],
    ['phone+name', ['0370108', '5551234', 'Smith']],
  ];
}

/** CPU milliseconds a process has used (user + system). */
function cpuMs(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}

async function main(): Promise<void> {
  const db = openPostgres({ url, poolSize: 2, statementTimeoutMs: 600_000 });
  const config = loadConfig({ ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1', LOG_LEVEL: 'silent' });
  const auth = new AuthService(db, config, new UsersService(db, config));
  const { key } = await auth.createApiKey(null, { email: 'bench-busy@bench.local', name: 'cpu', scope: 'full' });
  const headers = { authorization: `Bearer ${key}` };
  const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  try {
    for (let round = 1; round <= Number(args.rounds); round++) {
      for (const root of args.roots!.split(',').map((r) => path.resolve(r))) {
        const server = startServer(PORT, { DATABASE_URL: url, PG_POOL_SIZE: '20' }, [], root);
        try {
          await waitHealthy(PORT);
          const run = async (qs: string[], n: number) => {
            let i = 0;
            const lat: number[] = [];
            await Promise.all(
              Array.from({ length: C }, async () => {
                while (i < n) {
                  const q = qs[i++ % qs.length];
                  const t0 = performance.now();
                  const r = await fetch(`http://127.0.0.1:${PORT}/api/v1/search?q=${encodeURIComponent(q)}`, {
                    headers,
                  });
                  await r.text();
                  if (!r.ok) throw new Error(`${q}: ${r.status}`);
                  lat.push(performance.now() - t0);
                }
              }),
            );
            return lat.sort((a, b) => a - b);
          };
          // Warm-up: every connection of the pool opened, statements prepared, caches read.
          for (const [, qs] of classes()) await run(qs, 3 * qs.length * C);
          const backends = (
            await db.query<{ pid: number }>(
              `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
              [args.db],
            )
          ).map((r) => r.pid);
          const pgMs = () => backends.reduce((s, p) => s + cpuMs(p), 0);
          for (const [name, qs] of classes()) {
            const node0 = cpuMs(server.pid!);
            const pg0 = pgMs();
            const lat = await run(qs, N);
            const node = (cpuMs(server.pid!) - node0) / N;
            const pg = (pgMs() - pg0) / N;
            const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor(lat.length * p))].toFixed(0);
            log(
              `round ${round} ${root} ${name}: CPU per request server ${node.toFixed(1)} ms, PostgreSQL ` +
                `${pg.toFixed(1)} ms; p50 ${pct(0.5)} ms, p95 ${pct(0.95)} ms; load ${load()}`,
            );
          }
        } finally {
          await stopServer(server);
        }
      }
    }
  } finally {
    await db.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
