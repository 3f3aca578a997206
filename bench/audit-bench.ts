/**
 * Audit trail benchmark: a large `audit_log` on PostgreSQL, then the Admin →
 * Audit reads over HTTP on the real server (autocannon), and one CSV export:
 *   - the newest page                       GET /api/v1/audit?limit=50
 *   - one action                            GET /api/v1/audit?action=auth.signin_failed
 *   - one person                            GET /api/v1/audit?actorId=…
 *   - an area in a week                     GET /api/v1/audit?action=auth.*&from=…&to=…
 *   - the CSV export of one day             GET /api/v1/audit/export?from=…&to=…
 *
 *   npx tsx bench/audit-bench.ts --rows 20000        # a quick check
 *   npx tsx bench/audit-bench.ts                     # 2,000,000 lines (the full size)
 *
 * Options: --rows 2000000, --duration 10, --connections 10, --port 3931,
 * --pg postgres://postgres@127.0.0.1:5432/postgres (its own database
 * `sb_bench_audit_<rows>`, kept between runs; --fresh drops it first).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { openPostgres } from '../src/db/adapter.js';
import { migrate } from '../src/db/migrate.js';
import { AuthService } from '../src/modules/users/auth-service.js';
import { UsersService } from '../src/modules/users/service.js';
import { ensureBenchDatabase, fmt, log, runHttp, startServer, stopServer, waitHealthy } from './lib.js';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '2000000' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    fresh: { type: 'boolean', default: false },
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    port: { type: 'string', default: '3931' },
  },
});
const ROWS = Number(args.rows);
const PORT = Number(args.port);
const DURATION = Number(args.duration);
const CONNECTIONS = Number(args.connections);
const PG_DB = `sb_bench_audit_${ROWS}`;
const pgUrl = (() => {
  const u = new URL(args.pg!);
  u.pathname = `/${PG_DB}`;
  return u.toString();
})();

const ACTIONS = [
  'auth.signin',
  'auth.signin',
  'auth.signin',
  'auth.signout',
  'auth.signin_failed',
  'auth.password_changed',
  'api_key.created',
  'user.updated',
  'settings.changed',
  'customer.erased',
  'import.started',
  'export.created',
];

async function main(): Promise<void> {
  const created = await ensureBenchDatabase(args.pg!, PG_DB, Boolean(args.fresh));
  const db = openPostgres({ url: pgUrl, poolSize: 4, statementTimeoutMs: 600_000 });
  const config = loadConfig({ ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1', LOG_LEVEL: 'silent' });
  await migrate(db);
  const users = new UsersService(db, config);
  let admin = await users.findRowByEmail('bench-admin@audit.test');
  if (!admin) {
    await users.create(null, { email: 'bench-admin@audit.test', password: 'bench admin password', role: 'admin' });
    admin = (await users.findRowByEmail('bench-admin@audit.test'))!;
  }
  if (created) {
    log(`generating ${ROWS} audit lines over a year…`);
    const t0 = performance.now();
    // 500 people; lines spread evenly over the last 365 days.
    await db.query(
      `INSERT INTO audit_log (at, actor_id, actor_name, actor_kind, action, target_type, target_id, ip, user_agent, details)
       SELECT now() - (i::double precision / $1) * interval '365 days',
              ('00000000-0000-4000-8000-' || lpad((i % 500)::text, 12, '0'))::uuid,
              'Person ' || (i % 500), 'user', ($2::text[])[1 + (i * 7919) % array_length($2::text[], 1)],
              'user', (i % 500)::text, '10.0.' || (i % 250) || '.' || (i % 200),
              'Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0', jsonb_build_object('n', i)
       FROM generate_series(1, $1) AS i`,
      [ROWS, ACTIONS],
    );
    await db.query('ANALYZE audit_log');
    log(`  ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const key = (await new AuthService(db, config, users).createApiKey(null, { userId: admin.id, scope: 'full' })).key;
  await db.close();

  const server = startServer(PORT, { DATABASE_URL: pgUrl, PG_POOL_SIZE: '8' });
  try {
    await waitHealthy(PORT);
    const headers = { authorization: `Bearer ${key}` };
    const weekAgo = new Date(Date.now() - 7 * 86400_000).toISOString();
    const twoWeeksAgo = new Date(Date.now() - 14 * 86400_000).toISOString();
    const person = '00000000-0000-4000-8000-000000000123';
    const runs: [string, string[]][] = [
      ['newest page', ['/api/v1/audit?limit=50']],
      ['one action', ['/api/v1/audit?limit=50&action=auth.signin_failed']],
      ['one person', [`/api/v1/audit?limit=50&actorId=${person}`]],
      [
        'an area in a week',
        [
          `/api/v1/audit?limit=50&action=auth.*&from=${encodeURIComponent(twoWeeksAgo)}&to=${encodeURIComponent(weekAgo)}`,
        ],
      ],
    ];
    log(`audit reads, ${ROWS} lines, ${CONNECTIONS} connections, ${DURATION} s each:`);
    for (const [name, urls] of runs) {
      const s = await runHttp(PORT, urls, headers, DURATION, CONNECTIONS);
      log(`  ${name.padEnd(20)} ${fmt(s)}`);
    }
    const dayFrom = new Date(Date.now() - 3 * 86400_000).toISOString();
    const dayTo = new Date(Date.now() - 2 * 86400_000).toISOString();
    const t0 = performance.now();
    const res = await fetch(
      `http://127.0.0.1:${PORT}/api/v1/audit/export?from=${encodeURIComponent(dayFrom)}&to=${encodeURIComponent(dayTo)}`,
      { headers },
    );
    const text = await res.text();
    const lines = text.split('\n').length - 2;
    const seconds = (performance.now() - t0) / 1000;
    log(`  CSV export of a day  ${lines} lines in ${seconds.toFixed(2)} s (${(lines / seconds).toFixed(0)} lines/s)`);
  } finally {
    await stopServer(server);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
