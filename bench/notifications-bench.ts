/**
 * Notification inbox benchmark: one agent with 10,000 notifications (a third
 * unread) among 2,000 colleagues with 500 each (1,010,000 rows in all), then
 * the inbox reads over HTTP on the real server (autocannon), as the agent:
 *   - the newest page                 GET /api/v1/notifications?limit=50
 *   - unread only                     GET /api/v1/notifications?unread=true&limit=50
 *   - the header's badge              GET /api/v1/notifications/unread-count
 *   - a page far down (cursor)        GET /api/v1/notifications?limit=50&cursor=… (after 9,000)
 * Goal: p95 ≤ 20 ms at 10 connections for each.
 *
 *   npx tsx bench/notifications-bench.ts                 # generate once (kept), then measure
 *   npx tsx bench/notifications-bench.ts --fresh         # drop the database first
 *
 * Options: --mine 10000, --others 2000 (colleagues) × --each 500, --duration 10,
 * --connections 10, --port 3933, --pg postgres://postgres@127.0.0.1:5432/postgres
 * (its own database `sb_bench_notifications_<mine>_<others>_<each>`, kept between runs).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { openPostgres } from '../src/db/adapter.js';
import { migrate } from '../src/db/migrate.js';
import { AuthService } from '../src/modules/users/auth-service.js';
import { UsersService } from '../src/modules/users/service.js';
import { ensureBenchDatabase, log, runHttp, startServer, stopServer, waitHealthy } from './lib.js';

const { values: args } = parseArgs({
  options: {
    mine: { type: 'string', default: '10000' },
    others: { type: 'string', default: '2000' },
    each: { type: 'string', default: '500' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    fresh: { type: 'boolean', default: false },
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    port: { type: 'string', default: '3933' },
  },
});
const MINE = Number(args.mine);
const OTHERS = Number(args.others);
const EACH = Number(args.each);
const PORT = Number(args.port);
const DURATION = Number(args.duration);
const CONNECTIONS = Number(args.connections);
const GOAL_MS = 20;
const PG_DB = `sb_bench_notifications_${MINE}_${OTHERS}_${EACH}`;
const pgUrl = (() => {
  const u = new URL(args.pg!);
  u.pathname = `/${PG_DB}`;
  return u.toString();
})();

async function main(): Promise<void> {
  const created = await ensureBenchDatabase(args.pg!, PG_DB, Boolean(args.fresh));
  const db = openPostgres({ url: pgUrl, poolSize: 4, statementTimeoutMs: 600_000 });
  const config = loadConfig({ ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1', LOG_LEVEL: 'silent' });
  await migrate(db);
  const users = new UsersService(db, config);
  const email = 'inbox-agent@bench.test';
  let agent = await users.findRowByEmail(email);
  if (!agent) {
    await users.create(null, { email, password: 'bench agent password', role: 'agent' });
    agent = (await users.findRowByEmail(email))!;
  }
  if (created) {
    log(`generating ${OTHERS} colleagues × ${EACH} notifications and ${MINE} for the agent…`);
    const t0 = performance.now();
    await db.query(
      `INSERT INTO users (email, password_hash, first_name, last_name, role)
       SELECT 'inbox-colleague-' || g || '@bench.test', 'no-login', 'Colleague', g::text, 'agent'
       FROM generate_series(1, $1::int) g`,
      [OTHERS],
    );
    // Interleaved in time, as a center's notifications are: the agent's rows are spread among the others'.
    await db.query(
      `INSERT INTO notifications (user_id, kind, record_type, record_id, title, payload, read_at, created_at)
       SELECT u.id, (ARRAY['case.assigned','case.reply','mention','reminder'])[1 + (g % 4)], 'case', gen_random_uuid(),
              'Case #' || (100000 + g) || ' needs you', jsonb_build_object('caseNumber', 100000 + g),
              CASE WHEN g % 3 = 0 THEN NULL ELSE now() END, now() - (g || ' seconds')::interval
         FROM generate_series(1, $1::int) g
         JOIN LATERAL (SELECT id FROM users WHERE email = 'inbox-colleague-' || (1 + g % $2::int) || '@bench.test') u ON true`,
      [OTHERS * EACH, OTHERS],
    );
    await db.query(
      `INSERT INTO notifications (user_id, kind, record_type, record_id, title, payload, read_at, created_at)
       SELECT $1, (ARRAY['case.assigned','case.reply','mention','reminder'])[1 + (g % 4)], 'case', gen_random_uuid(),
              'Case #' || (500000 + g) || ' needs you', jsonb_build_object('caseNumber', 500000 + g),
              CASE WHEN g % 3 = 0 THEN NULL ELSE now() END, now() - (g || ' seconds')::interval
         FROM generate_series(1, $2::int) g`,
      [agent.id, MINE],
    );
    await db.query('VACUUM ANALYZE notifications');
    log(`  ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const [{ n: total }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM notifications');
  const key = (await new AuthService(db, config, users).createApiKey(null, { userId: agent.id, scope: 'full' })).key;
  await db.close();

  const server = startServer(PORT, { DATABASE_URL: pgUrl, PG_POOL_SIZE: '10' });
  try {
    await waitHealthy(PORT);
    const headers = { authorization: `Bearer ${key}` };
    const base = `http://127.0.0.1:${PORT}`;
    // Follow the cursor 180 pages down (9,000 notifications) for the deep page.
    let cursor: string | null = null;
    let seen = 0;
    for (let i = 0; i < 180; i++) {
      const url: string = `${base}/api/v1/notifications?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = (await (await fetch(url, { headers })).json()) as { items: unknown[]; nextCursor: string | null };
      seen += page.items.length;
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    const badge = (await (await fetch(`${base}/api/v1/notifications/unread-count`, { headers })).json()) as {
      unread: number;
    };
    log(`checks: ${seen} notifications paged through, ${badge.unread} unread`);
    const runs: [string, string][] = [
      ['newest page', '/api/v1/notifications?limit=50'],
      ['unread only', '/api/v1/notifications?unread=true&limit=50'],
      ['unread count', '/api/v1/notifications/unread-count'],
      ['page after 9,000', `/api/v1/notifications?limit=50&cursor=${encodeURIComponent(cursor ?? '')}`],
    ];
    const cpus = os.cpus();
    log(
      `${cpus.length} cores (${cpus[0]?.model.trim()}), Node ${process.version}; ${total.toLocaleString('en')} ` +
        `notifications, the agent's ${MINE.toLocaleString('en')}; ${CONNECTIONS} connections, ${DURATION} s each ` +
        `after a 2 s warm-up; load average before: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' / ')}`,
    );
    log('');
    log(`| read | req/s | p50 ms | p95 ms | p99 ms | goal p95 ≤ ${GOAL_MS} ms | errors |`);
    log('|---|---|---|---|---|---|---|');
    for (const [name, url] of runs) {
      await runHttp(PORT, [url], headers, 2, CONNECTIONS);
      const s = await runHttp(PORT, [url], headers, DURATION, CONNECTIONS);
      log(
        `| ${name} | ${s.rps.toFixed(0)} | ${s.p50.toFixed(2)} | ${s.p95.toFixed(2)} | ${s.p99.toFixed(2)} | ` +
          `${s.p95 <= GOAL_MS ? 'met' : 'not met'} | ${s.errors} |`,
      );
    }
    log(`load average after: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' / ')}`);
  } finally {
    await stopServer(server);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
