/**
 * One webhook claim against a backlog: the time of `claimDue` (the statement
 * the deliverer runs for every batch) with N pending deliveries over 5
 * endpoints, each claim rolled back so every repeat sees the same backlog.
 *   spread: N/5 events to all 5 endpoints, 10 per record (every record's oldest is due)
 *   stale:  the same, the statistics taken at 1 % of it (a queue that grew fast)
 *   stuck:  per endpoint, one record with N/5 − 100 deliveries behind an oldest one waiting
 *           for its retry in an hour, then 100 records with one each; timed after one claim
 *           has been committed (what the deliverer would have done) and its claims released
 *
 *   npx tsx bench/webhooks-claim-bench.ts --sizes 1000,10000,50000 --repeats 7
 *
 * PostgreSQL only; its own database (--database, dropped and made afresh). Runs
 * against the tree it sits in, so a copy in an older tree measures that tree.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { readFileSync } from 'node:fs';
import { openPostgres, type Db, type Queryable } from '../src/db/adapter.js';
import { migrate } from '../src/db/migrate.js';
import { claimDue } from '../src/modules/webhooks/store.js';
import { ensureBenchDatabase, log } from './lib.js';

const { values: args } = parseArgs({
  options: {
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    database: { type: 'string', default: 'sb_bench_webhooks_claim' },
    sizes: { type: 'string', default: '1000,10000,50000' },
    repeats: { type: 'string', default: '7' },
  },
});
const SIZES = args.sizes.split(',').map(Number);
const REPEATS = Number(args.repeats);
const ENDPOINTS = 5;
/** The deliverer's own limits (src/modules/webhooks/service.ts). */
const LIMITS = { chains: 256, perChain: 8, perEndpoint: 64, room: new Map<string, number>(), timeoutMs: 10_000 };
/** Chains asked for by the timed claims: a process with every slot free, and one with few free. */
const CHAINS = [256, 8];
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** This tree's claim, whatever it answers (rows, or rows and a count): rows claimed, deliveries put off. */
async function claimCounted(
  q: Queryable,
  now: Date,
  chains = LIMITS.chains,
): Promise<{ claimed: number; deferred: number }> {
  const out: unknown = await claimDue(q, now, { ...LIMITS, chains });
  if (Array.isArray(out)) return { claimed: out.length, deferred: 0 };
  const { rows, deferred } = out as { rows: unknown[]; deferred: number };
  return { claimed: rows.length, deferred };
}
const claim = async (q: Queryable, now: Date, chains: number) => (await claimCounted(q, now, chains)).claimed;

class Rollback extends Error {}

async function timedClaims(db: Db, chains: number): Promise<{ ms: number[]; claimed: number }> {
  const ms: number[] = [];
  let claimed = 0;
  for (let i = 0; i < REPEATS; i++) {
    await db
      .transaction(async (tx) => {
        const t0 = performance.now();
        claimed = await claim(tx, new Date(), chains);
        ms.push(performance.now() - t0);
        throw new Rollback();
      })
      .catch((e: unknown) => {
        if (!(e instanceof Rollback)) throw e;
      });
  }
  return { ms, claimed };
}

type Kind = 'spread' | 'stale' | 'stuck';

async function fill(db: Db, n: number, kind: Kind): Promise<void> {
  await db.query('TRUNCATE webhook_events, webhook_deliveries, webhook_attempts');
  const events = n / ENDPOINTS;
  await db.query(
    `INSERT INTO webhook_events (msg_id, type, body)
     SELECT 'msg_bench_' || i, 'customer.updated', '{"type":"customer.updated","data":{}}' FROM generate_series(1, $1::int) i`,
    [events],
  );
  // Records: spread and stale, 10 events each; stuck, all but the last 100 events on one record.
  const deliveries = (from: number, to: number) =>
    db.query(
      `INSERT INTO webhook_deliveries (endpoint_id, event_id, record_key)
       SELECT e.id, ev.id,
         CASE WHEN $2 <> 'stuck' THEN 'customer:' || (ev.id % greatest($1::int / 10, 1))
              WHEN ev.rn <= $1::int - 100 THEN 'customer:stuck' ELSE 'customer:' || ev.id END
       FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM webhook_events) ev
       CROSS JOIN webhook_endpoints e WHERE ev.rn > $3 AND ev.rn <= $4 ORDER BY ev.id, e.id`,
      [events, kind, from, to],
    );
  if (kind === 'stale') {
    // Statistics taken at 1 % of the backlog and not since (autovacuum is off in this database):
    // the planner's view of a queue that grew fast.
    await deliveries(0, events / 100);
    await db.query('ANALYZE webhook_deliveries');
    await deliveries(events / 100, events);
  } else {
    await deliveries(0, events);
    await db.query('ANALYZE webhook_deliveries');
  }
  if (kind === 'stuck') {
    await db.query(
      `UPDATE webhook_deliveries SET attempts = 1, next_attempt_at = now() + interval '1 hour'
       WHERE id IN (SELECT min(id) FROM webhook_deliveries WHERE record_key = 'customer:stuck' GROUP BY endpoint_id)`,
    );
  }
  await db.query('ANALYZE webhook_events');
  if (kind === 'stuck') {
    // The deliverer's first claim on this backlog, committed, repeated as the deliverer does while it
    // only puts deliveries off; then its claims given back.
    let first;
    do first = await claimCounted(db, new Date());
    while (first.claimed === 0 && first.deferred > 0);
    await db.query('UPDATE webhook_deliveries SET locked_until = NULL WHERE locked_until IS NOT NULL');
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  await ensureBenchDatabase(args.pg, args.database, true);
  const url = new URL(args.pg);
  url.pathname = `/${args.database}`;
  const db = openPostgres({ url: url.toString(), poolSize: 2, statementTimeoutMs: 600_000 });
  try {
    await migrate(db);
    await db.query('ALTER TABLE webhook_deliveries SET (autovacuum_enabled = false)');
    for (let i = 0; i < ENDPOINTS; i++) {
      await db.query(`INSERT INTO webhook_endpoints (url, events, secret) VALUES ($1, '{*}', 'whsec_bench')`, [
        `http://127.0.0.1:9/hook${i}`,
      ]);
    }
    log(`load ${loadavg()}`);
    log('| backlog | kind | chains asked | rows claimed | median ms | min ms | max ms |');
    log('|---|---|---|---|---|---|---|');
    for (const n of SIZES) {
      for (const kind of ['spread', 'stale', 'stuck'] as const) {
        await fill(db, n, kind);
        for (const chains of CHAINS) {
          const { ms, claimed } = await timedClaims(db, chains);
          const f = (x: number) => x.toFixed(1);
          log(
            `| ${n} | ${kind} | ${chains} | ${claimed} | ${f(median(ms))} | ${f(Math.min(...ms))} | ${f(Math.max(...ms))} |`,
          );
        }
      }
    }
    log(`load ${loadavg()}`);
  } finally {
    await db.close();
    const admin = new pg.Client({ connectionString: args.pg });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${args.database} WITH (FORCE)`);
    await admin.end();
  }
}

await main();
