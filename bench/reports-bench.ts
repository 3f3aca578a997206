/**
 * Reports benchmark, small size: cases, follow-ups, interactions and
 * tasks generated on PostgreSQL, then each report (ReportsService, the same
 * code the routes call; no HTTP) for a 90-day range, run one at a time,
 * median and p95 of the runs. Baselines in the same script, on the same data:
 *   - a bare `count(*)` of the cases opened in the range (the floor of reading them)
 *   - the case list's first page (GET /api/v1/cases' service call), an existing screen
 *   - each cases report from the raw rows (ReportsService without rollups) next to
 *     the same report from the rollups (case_rollups, migration 1620)
 *   - the write path with the rollup triggers disabled next to enabled: concurrent
 *     writers each opening a case, closing it and reassigning it (CasesService),
 *     rounds alternated so the machine's load falls on both alike.
 *   - the repeat-caller count from the stored gap (interactions.previous_inbound_at,
 *     migration 1640) next to the per-interaction probe it replaced, runs alternated;
 *     and the interactions' write cost with the gap's triggers off and on: a bulk
 *     insert of --bulk rows in one statement and single-row inserts by concurrent
 *     writers, rounds alternated.
 *
 *   npx tsx bench/reports-bench.ts                # generate (once) and measure
 *   npx tsx bench/reports-bench.ts --reuse        # measure again on the kept data
 *
 * Options: --cases 200000 --interactions 500000 --runs 15 --fresh
 * --writers 8 --writes 40 (per writer and round) --rounds 3 --db sb_bench_reports
 * --only <text> (measure only the subjects whose name contains it; with "interactions",
 * only the interactions' parts) --bulk 20000
 * --pg postgres://postgres@127.0.0.1:5432/postgres (the benchmark's own database
 * is kept between runs). docs/reports.md, "Speed".
 */
import pg from 'pg';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { systemClock } from '../src/clock.js';
import { openPostgres, type Db } from '../src/db/adapter.js';
import { migrate } from '../src/db/migrate.js';
import { systemActor, type Actor } from '../src/http/actor.js';
import { CasesService } from '../src/modules/cases/service.js';
import { foldCaseRollups } from '../src/modules/cases/rollups.js';
import { foldRepeatCallers, repeatCountSql } from '../src/modules/interactions/repeat.js';
import { ReportsService } from '../src/modules/reports/service.js';
import { UsersService } from '../src/modules/users/service.js';
import { loadConfig } from '../src/config.js';
import { log } from './lib.js';

const { values: args } = parseArgs({
  options: {
    cases: { type: 'string', default: '200000' },
    interactions: { type: 'string', default: '500000' },
    runs: { type: 'string', default: '15' },
    reuse: { type: 'boolean', default: false },
    fresh: { type: 'boolean', default: false },
    writers: { type: 'string', default: '8' },
    writes: { type: 'string', default: '40' },
    rounds: { type: 'string', default: '3' },
    db: { type: 'string', default: 'sb_bench_reports' },
    only: { type: 'string', default: '' },
    bulk: { type: 'string', default: '20000' },
    waiting: { type: 'string', default: '200' },
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const CASES = Number(args.cases);
const INTERACTIONS = Number(args.interactions);
const RUNS = Number(args.runs);
const DB_NAME = args.db!;
if (!/^[a-z_][a-z0-9_]*$/.test(DB_NAME)) throw new Error('--db: a plain database name');
const DAYS = 365;
/** How often the write path's rounds with the triggers on fold the deltas (the server's job: every 2 s). */
const FOLD_MS = 2_000;

async function main() {
  const load0 = os.loadavg();
  const admin = new pg.Client({ connectionString: args.pg });
  await admin.connect();
  if (args.fresh) await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB_NAME]);
  if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${DB_NAME}`);
  const version = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0].server_version;
  await admin.end();
  const url = new URL(args.pg!);
  url.pathname = `/${DB_NAME}`;
  const db = openPostgres({ url: url.toString(), poolSize: Number(args.writers) + 2, statementTimeoutMs: 600_000 });
  await migrate(db);

  const [{ n }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM cases');
  if (n === 0 || !args.reuse) {
    if (n > 0) throw new Error(`${DB_NAME} has data: pass --reuse to measure it, or --fresh to start again`);
    const t0 = performance.now();
    log(
      `Generating ${CASES} cases (~3 follow-ups each), ${INTERACTIONS} interactions, ${CASES / 2} tasks over ${DAYS} days…`,
    );
    await db.exec(`
      INSERT INTO users (email, password_hash, role, first_name, last_name)
        SELECT 'agent' || g || '@bench.test', 'x', 'agent', 'Agent', g::text FROM generate_series(1, 50) g;
      INSERT INTO customers (account_number, first_name, last_name)
        SELECT 'R' || g, 'First' || g, 'Last' || g FROM generate_series(1, 20000) g;
      CREATE TEMP TABLE a AS SELECT row_number() OVER () AS i, id FROM users WHERE email LIKE '%@bench.test';
      CREATE TEMP TABLE cu AS SELECT row_number() OVER () AS i, id FROM customers WHERE account_number LIKE 'R%';
    `);
    await db.exec(`
      INSERT INTO cases (customer_id, subject, status, is_open, priority, severity, visibility, owner_id, channel,
                         opened_at, closed_at, created_at, updated_at)
      SELECT cu.id, 'Bench case ' || g, CASE WHEN closed THEN 'closed' ELSE 'open' END, NOT closed,
             (ARRAY['low','normal','normal','high','urgent'])[1 + g % 5], (ARRAY['minor','major','critical'])[1 + g % 3],
             CASE WHEN g % 10 = 0 THEN 'private' ELSE 'public' END,
             CASE WHEN g % 7 = 0 THEN NULL ELSE a.id END,
             (ARRAY['phone','chat','email','web','portal','other'])[1 + g % 6],
             opened, CASE WHEN closed THEN opened + (random() * interval '10 days') END, opened, opened
      FROM (SELECT g, now() - random() * interval '${DAYS} days' AS opened, random() < 0.7 AS closed
            FROM generate_series(1, ${CASES}) g) s
      JOIN cu ON cu.i = 1 + s.g % 20000 JOIN a ON a.i = 1 + s.g % 50;
    `);
    // The follow-ups' per-row trigger (a case UPDATE per staff follow-up, migration 1301) is done once in bulk
    // instead, as migration 1301 itself does: 600,000 row triggers went past the statement timeout on a loaded machine.
    await db.exec(`
      ALTER TABLE case_follow_ups DISABLE TRIGGER case_follow_ups_staff_response;
      INSERT INTO case_follow_ups (case_id, kind, visibility, body, author_type, author_name, channel, created_at)
      SELECT c.id, 'note', CASE WHEN k % 4 = 0 THEN 'internal' ELSE 'public' END, 'Bench follow-up',
             CASE WHEN k % 3 = 0 THEN 'customer' ELSE 'user' END, 'Bench', 'console',
             c.opened_at + random() * interval '2 days'
      FROM cases c CROSS JOIN generate_series(1, 3) k;
      ALTER TABLE case_follow_ups ENABLE TRIGGER case_follow_ups_staff_response;
      UPDATE cases c SET first_response_at = f.first_at, staff_responses = f.n
      FROM (SELECT case_id, min(created_at) AS first_at, count(*)::int AS n FROM case_follow_ups
            WHERE author_type = 'user' AND visibility = 'public' GROUP BY case_id) f
      WHERE f.case_id = c.id;
      INSERT INTO case_reopens (case_id, at)
      SELECT id, closed_at - interval '1 day' FROM cases WHERE closed_at IS NOT NULL AND case_number % 9 = 0;
    `);
    await db.exec(`
      INSERT INTO interactions (channel, direction, from_address, agent_id, customer_id, match_result, state, started_at,
                                disposition)
      SELECT (ARRAY['phone','phone','chat','email'])[1 + g % 4], CASE WHEN g % 4 = 0 THEN 'outbound' ELSE 'inbound' END,
             '+1555' || lpad((g % 60000)::text, 7, '0'), a.id,
             CASE WHEN g % 5 = 0 THEN NULL ELSE cu.id END, CASE WHEN g % 5 = 0 THEN 'not_found' ELSE 'found' END,
             'active', now() - random() * interval '${DAYS} days', CASE WHEN g % 3 = 0 THEN NULL ELSE 'resolved' END
      FROM generate_series(1, ${INTERACTIONS}) g JOIN cu ON cu.i = 1 + g % 20000 JOIN a ON a.i = 1 + g % 50;
      INSERT INTO tasks (type, subject, customer_id, assignee_id, due_at, status, completed_at)
      SELECT 'call', 'Bench task', cu.id, a.id, due, st,
             CASE WHEN st = 'open' THEN NULL ELSE due + (random() - 0.6) * interval '2 days' END
      FROM (SELECT g, now() - random() * interval '${DAYS} days' + interval '30 days' AS due,
                   (ARRAY['open','done','done','cancelled'])[1 + g % 4] AS st
            FROM generate_series(1, ${CASES / 2}) g) s
      JOIN cu ON cu.i = 1 + s.g % 20000 JOIN a ON a.i = 1 + s.g % 50;
      ANALYZE;
    `);
    log(`Generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }

  // The generation's deltas (migrations 1650, 1651, 1680) into the summed tables, as the fold job would.
  {
    const t0 = performance.now();
    const moved = await foldCaseRollups(db);
    log(`Fold before the reads: ${moved ?? 0} deltas in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const t1 = performance.now();
    const repeat = await foldRepeatCallers(db);
    log(
      `Repeat callers' fold before the reads: ${repeat?.moved ?? 0} entries, ${repeat?.written ?? 0} rows in ${((performance.now() - t1) / 1000).toFixed(1)} s`,
    );
  }
  const counts = await db.query<{ t: string; n: number }>(
    `SELECT 'cases' AS t, count(*)::int AS n FROM cases UNION ALL SELECT 'follow-ups', count(*)::int FROM case_follow_ups
     UNION ALL SELECT 'interactions', count(*)::int FROM interactions UNION ALL SELECT 'tasks', count(*)::int FROM tasks`,
  );
  const reports = new ReportsService(db, systemClock, null);
  const rawReports = new ReportsService(db, systemClock, null, false);
  // As before migrations 1650 and 1651: every view from the fine rollup (case_rollups), the backlog from the open cases.
  const fineReports = new ReportsService(db, systemClock, null, true, false);
  const cases = new CasesService(db, new UsersService(db, loadConfig({})));
  const actor = systemActor();
  const today = new Date().toISOString().slice(0, 10);
  const from = new Date(Date.now() - 89 * 86_400_000).toISOString().slice(0, 10);
  const q = { from, to: today, tz: 'Europe/Paris' } as const;
  const [anAgent] = await db.query<{ id: string }>(`SELECT id FROM users WHERE email = 'agent1@bench.test'`);

  const subjects: [string, () => Promise<unknown>][] = [
    [
      'baseline: count(*) of cases opened in the range',
      () => db.query(`SELECT count(*) FROM cases WHERE opened_at >= now() - interval '90 days'`),
    ],
    ['baseline: case list, first page (50)', () => cases.list(actor, { limit: 50 })],
    ['cases report, day buckets: raw rows', () => rawReports.cases(actor, { ...q, bucket: 'day' })],
    [
      'cases report, day buckets: fine rollup, raw backlog (before)',
      () => fineReports.cases(actor, { ...q, bucket: 'day' }),
    ],
    ['cases report, day buckets: rollups (after)', () => reports.cases(actor, { ...q, bucket: 'day' })],
    ['cases report, one channel: raw rows', () => rawReports.cases(actor, { ...q, channel: 'phone' })],
    [
      'cases report, one channel: fine rollup, raw backlog (before)',
      () => fineReports.cases(actor, { ...q, channel: 'phone' }),
    ],
    ['cases report, one channel: rollups (after)', () => reports.cases(actor, { ...q, channel: 'phone' })],
    [
      'cases report, week buckets, channel+priority filter: raw rows',
      () => rawReports.cases(actor, { ...q, bucket: 'week', channel: 'phone,email', priority: 'high,urgent' }),
    ],
    [
      'cases report, week buckets, channel+priority filter: rollups',
      () => reports.cases(actor, { ...q, bucket: 'week', channel: 'phone,email', priority: 'high,urgent' }),
    ],
    ['cases report, one owner: raw rows', () => rawReports.cases(actor, { ...q, ownerId: anAgent.id })],
    ['cases report, one owner: rollups', () => reports.cases(actor, { ...q, ownerId: anAgent.id })],
    ['interactions report (repeat callers 7 d)', () => reports.interactions(actor, q)],
    ['workload report', () => reports.workload(actor, q)],
    ['tasks report', () => reports.tasks(actor, q)],
    ['wallboard', () => reports.wallboard(actor, { tz: 'Europe/Paris' })],
  ];
  const rows: string[] = [];
  // Runs alternate between the subjects (one run of each, then again), so the machine's load falls on all alike.
  const measured = subjects.filter(([name]) => name.includes(args.only!));
  for (const [, fn] of measured) await fn(); // warm-up
  const times = measured.map((): number[] => []);
  for (let i = 0; i < RUNS; i++) {
    for (const [j, [, fn]] of measured.entries()) {
      const t = performance.now();
      await fn();
      times[j].push(performance.now() - t);
    }
  }
  for (const [j, [name]] of measured.entries()) {
    const ms = times[j];
    ms.sort((a, b) => a - b);
    const med = ms[Math.floor(ms.length / 2)];
    const p95 = ms[Math.min(ms.length - 1, Math.floor(ms.length * 0.95))];
    log(`${name}: median ${med.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms`);
    rows.push(`| ${name} | ${med.toFixed(1)} | ${p95.toFixed(1)} |`);
  }
  // The rollups' size: rows per 90 days against the cases they count.
  const [size] = await db.query<{ opened: number; closed: number; rows_opened: number; rows_closed: number }>(
    `SELECT (SELECT count(*)::int FROM cases WHERE opened_at >= now() - interval '90 days') AS opened,
            (SELECT count(*)::int FROM cases WHERE closed_at >= now() - interval '90 days') AS closed,
            (SELECT count(*)::int FROM case_rollups WHERE kind = 'opened' AND slot >= now() - interval '90 days') AS rows_opened,
            (SELECT count(*)::int FROM case_rollups WHERE kind = 'closed' AND slot >= now() - interval '90 days') AS rows_closed`,
  );
  log(
    `Rollup rows per 90 days: ${size.rows_opened} for ${size.opened} cases opened, ${size.rows_closed} for ${size.closed} closed`,
  );
  const coarse = await db.query<{ dim: string; opened: number; closed: number }>(
    `SELECT dim, count(*) FILTER (WHERE kind = 'opened')::int AS opened, count(*) FILTER (WHERE kind = 'closed')::int AS closed
     FROM case_rollups_coarse WHERE slot >= now() - interval '90 days' GROUP BY 1 ORDER BY 1`,
  );
  log(
    `Coarse rollup rows per 90 days (opened / closed): ${coarse.map((r) => `${r.dim} ${r.opened} / ${r.closed}`).join(', ')}`,
  );

  const repeatRows = args.only && !'interactions'.includes(args.only) ? [] : await repeatCount(db, q.tz);
  const interactionWriteRows = args.only && !'interactions'.includes(args.only) ? [] : await interactionWrites(db);
  const writeRows = args.only ? [] : await writePath(db, cases, actor);
  const load1 = os.loadavg();
  log('');
  log(
    `Data: ${counts.map((c) => `${c.n.toLocaleString('en')} ${c.t}`).join(', ')} over ${DAYS} days; range 90 days (Europe/Paris). ` +
      `${os.cpus().length} cores, Node ${process.version}, PostgreSQL ${version}; ${RUNS} runs each after a warm-up, one at a time; ` +
      `load average ${load0[0].toFixed(1)} before, ${load1[0].toFixed(1)} after.`,
  );
  log('');
  log('| subject | median ms | p95 ms |');
  log('|---|---|---|');
  for (const r of rows) log(r);
  log('');
  log('| repeat callers (7 days), 90-day range | median ms | p95 ms |');
  log('|---|---|---|');
  for (const r of repeatRows) log(r);
  log('');
  log('| interactions written | median ms | p95 ms | rows/s |');
  log('|---|---|---|---|');
  for (const r of interactionWriteRows) log(r);
  log('');
  log('| write path (open + close + reassign one case) | median ms | p95 ms | cases/s |');
  log('|---|---|---|---|');
  for (const r of writeRows) log(r);
  await db.close();
}

const stats = (xs: number[]) => {
  const ms = [...xs].sort((a, b) => a - b);
  return { med: ms[Math.floor(ms.length / 2)], p95: ms[Math.min(ms.length - 1, Math.floor(ms.length * 0.95))] };
};

/**
 * The repeat-caller count of the last 90 days as the report counts it now (the
 * stored gap: repeatCountSql, the probe only for callers waiting for the fold)
 * and as it was counted before migration 1640 (two index probes per inbound
 * interaction), runs alternated: once with nothing waiting (after a fold), once
 * with WAITING new calls' callers waiting (as between two folds of a busy
 * center: about 2 s of writes), then those calls removed and folded.
 */
async function repeatCount(db: Db, tz: string): Promise<string[]> {
  const waiting = Number(args.waiting);
  const range = [`i.started_at >= now() - interval '90 days'`, `i.started_at < now()`];
  const gap = repeatCountSql('7', range);
  const window = `j.direction = 'inbound' AND j.started_at < i.started_at
      AND j.started_at >= i.started_at - make_interval(days => 7)`;
  const probe = `SELECT count(*)::int AS n FROM interactions i WHERE ${range.join(' AND ')} AND i.direction = 'inbound' AND (
      (i.customer_id IS NOT NULL AND EXISTS (SELECT 1 FROM interactions j WHERE j.customer_id = i.customer_id AND ${window}))
      OR (i.from_address IS NOT NULL AND EXISTS (SELECT 1 FROM interactions j WHERE j.from_address = i.from_address AND ${window})))`;
  const out: string[] = [];
  for (const phase of ['nothing waiting', `${waiting} calls' callers waiting`]) {
    await foldRepeatCallers(db);
    if (phase !== 'nothing waiting') {
      // One call per statement, now, from the generated callers (as the API writes them).
      for (let g = 1; g <= waiting; g++) {
        await db.query(
          `INSERT INTO interactions (channel, direction, from_address, customer_id, match_result, state, started_at, notes)
           VALUES ('phone', 'inbound', '+1555' || lpad(($1::int % 60000)::text, 7, '0'),
                   (SELECT id FROM customers WHERE account_number = 'R' || (1 + $1::int % 20000)), 'found', 'active',
                   now() - interval '1 minute', 'bench wait')`,
          [g * 7919],
        );
      }
    }
    const [{ listed }] = await db.query<{ listed: number }>(
      'SELECT count(*)::int AS listed FROM interaction_callers_dirty',
    );
    const subjects = [
      ['per-interaction probe (before migration 1640)', probe],
      [`stored gap, ${phase}`, gap],
    ] as const;
    const ms: number[][] = [[], []];
    const counts = new Set<number>();
    await db.transaction(async (tx) => {
      await tx.query(`SET LOCAL TIME ZONE '${tz}'`);
      for (const [, sql] of subjects) await tx.query(sql); // warm-up
      for (let i = 0; i < RUNS; i++) {
        for (const [k, [, sql]] of subjects.entries()) {
          const t = performance.now();
          const [{ n }] = await tx.query<{ n: number | string }>(sql);
          ms[k].push(performance.now() - t);
          counts.add(Number(n));
        }
      }
    });
    if (counts.size !== 1) throw new Error(`the two counts differ: ${[...counts].join(', ')}`);
    for (const [k, [name]] of subjects.entries()) {
      const { med, p95 } = stats(ms[k]);
      log(
        `repeat callers (${listed} entries listed), ${name}: median ${med.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms (count ${[...counts][0]})`,
      );
      out.push(`| ${name} (${listed} entries listed) | ${med.toFixed(1)} | ${p95.toFixed(1)} |`);
    }
  }
  await db.transaction(async (tx) => {
    await tx.exec('ALTER TABLE interactions DISABLE TRIGGER interactions_append_only');
    await tx.exec(`DELETE FROM interactions WHERE notes = 'bench wait'`);
    await tx.exec('ALTER TABLE interactions ENABLE TRIGGER interactions_append_only');
  });
  await foldRepeatCallers(db);
  return out;
}

/**
 * The interactions' write cost with the stored gap's triggers (migration 1640)
 * disabled and enabled, rounds alternated off, on, off, on…: a bulk insert of
 * BULK interactions in one statement (an import: times over the year, the
 * generated callers' numbers and customers, so they land among existing calls),
 * and WRITERS concurrent writers inserting one interaction per statement. The
 * rows are deleted after each round with the triggers in the round's state (the
 * append-only guard lifted for that), so the stored gaps stay exact.
 */
async function interactionWrites(db: Db): Promise<string[]> {
  const bulk = Number(args.bulk);
  const writers = Number(args.writers);
  const writes = Number(args.writes);
  const gapTriggers = ['interactions_callers_insert', 'interactions_callers_update', 'interactions_callers_delete'];
  const triggers = async (on: boolean) =>
    db.exec(
      gapTriggers.map((name) => `ALTER TABLE interactions ${on ? 'ENABLE' : 'DISABLE'} TRIGGER ${name};`).join('\n'),
    );
  const insert = (rows: number, seed: number) => `
    INSERT INTO interactions (channel, direction, from_address, customer_id, match_result, state, started_at, notes)
    SELECT 'phone', CASE WHEN g % 4 = 0 THEN 'outbound' ELSE 'inbound' END,
           '+1555' || lpad(((g * 7919 + ${seed}) % 60000)::text, 7, '0'),
           CASE WHEN g % 5 = 0 THEN NULL ELSE (SELECT id FROM customers WHERE account_number = 'R' || (1 + (g * 104729 + ${seed}) % 20000)) END,
           CASE WHEN g % 5 = 0 THEN 'not_found' ELSE 'found' END, 'active',
           now() - random() * interval '${DAYS} days', 'bench write'
    FROM generate_series(1, ${rows}) g`;
  const results = {
    bulk: { off: [] as number[], on: [] as number[] },
    single: { off: [] as number[], on: [] as number[] },
    relink: { off: [] as number[], on: [] as number[] },
  };
  const elapsed = { off: 0, on: 0 };
  const folds: { ms: number; moved: number; written: number }[] = [];
  try {
    for (let round = 0; round < Number(args.rounds) * 2; round++) {
      const mode = round % 2 === 0 ? 'off' : 'on';
      await triggers(mode === 'on');
      const t = performance.now();
      await db.exec(insert(bulk, round));
      results.bulk[mode].push(performance.now() - t);
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          for (let i = 0; i < writes; i++) {
            const t1 = performance.now();
            await db.exec(insert(1, round * 1000 + w * 100 + i));
            results.single[mode].push(performance.now() - t1);
          }
        }),
      );
      elapsed[mode] += performance.now() - t0;
      // A match after the call: one interaction's customer changed per statement (the update trigger's case).
      const written = await db.query<{ id: string }>(
        `SELECT id FROM interactions WHERE notes = 'bench write' ORDER BY id LIMIT ${writers * writes}`,
      );
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          for (let i = w; i < written.length; i += writers) {
            const t1 = performance.now();
            await db.query(
              `UPDATE interactions SET customer_id = (SELECT id FROM customers WHERE account_number = 'R' || (1 + $2::int % 20000))
               WHERE id = $1`,
              [written[i].id, i * 31 + round],
            );
            results.relink[mode].push(performance.now() - t1);
          }
        }),
      );
      if (mode === 'on') {
        // The job's work for this round's callers, in the background in the server.
        const t1 = performance.now();
        const fold = await foldRepeatCallers(db);
        folds.push({ ms: performance.now() - t1, moved: fold?.moved ?? 0, written: fold?.written ?? 0 });
      }
      await db.transaction(async (tx) => {
        await tx.exec('ALTER TABLE interactions DISABLE TRIGGER interactions_append_only');
        await tx.exec(`DELETE FROM interactions WHERE notes = 'bench write'`);
        await tx.exec('ALTER TABLE interactions ENABLE TRIGGER interactions_append_only');
      });
      await foldRepeatCallers(db);
    }
  } finally {
    await triggers(true);
  }
  const out: string[] = [];
  for (const mode of ['off', 'on'] as const) {
    const b = stats(results.bulk[mode]);
    const name = `gap triggers ${mode}: ${bulk} rows in one statement, ${results.bulk[mode].length} rounds`;
    log(
      `${name}: median ${b.med.toFixed(1)} ms, p95 ${b.p95.toFixed(1)} ms, ${((bulk / b.med) * 1000).toFixed(0)} rows/s`,
    );
    out.push(`| ${name} | ${b.med.toFixed(1)} | ${b.p95.toFixed(1)} | ${((bulk / b.med) * 1000).toFixed(0)} |`);
  }
  for (const mode of ['off', 'on'] as const) {
    const s1 = stats(results.single[mode]);
    const rate = (results.single[mode].length / elapsed[mode]) * 1000;
    const name = `gap triggers ${mode}: one row per statement, ${writers} writers, ${results.single[mode].length} rows`;
    log(`${name}: median ${s1.med.toFixed(1)} ms, p95 ${s1.p95.toFixed(1)} ms, ${rate.toFixed(0)} rows/s`);
    out.push(`| ${name} | ${s1.med.toFixed(1)} | ${s1.p95.toFixed(1)} | ${rate.toFixed(0)} |`);
  }
  for (const mode of ['off', 'on'] as const) {
    const r = stats(results.relink[mode]);
    const name = `gap triggers ${mode}: an interaction's customer changed, ${writers} writers, ${results.relink[mode].length} rows`;
    log(`${name}: median ${r.med.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms`);
    out.push(`| ${name} | ${r.med.toFixed(1)} | ${r.p95.toFixed(1)} | |`);
  }
  for (const f of folds) {
    log(`fold after an "on" round: ${f.moved} entries, ${f.written} rows rewritten, ${f.ms.toFixed(0)} ms`);
    out.push(
      `| the fold after an "on" round: ${f.moved} entries, ${f.written} rows rewritten | ${f.ms.toFixed(0)} | | |`,
    );
  }
  return out;
}

/**
 * The write path's cost with the rollup triggers enabled and disabled: WRITERS
 * concurrent writers, each opening a case, closing it and reassigning it WRITES
 * times; rounds alternate off, on, off, on… The cases written are deleted after
 * each round with the triggers in the round's state, so the rollups stay exact.
 * A writer's error (a deadlock among them) ends the benchmark.
 */
async function writePath(db: Db, cases: CasesService, actor: Actor): Promise<string[]> {
  const writers = Number(args.writers);
  const writes = Number(args.writes);
  const agents = (await db.query<{ id: string }>(`SELECT id FROM users WHERE email LIKE '%@bench.test'`)).map(
    (r) => r.id,
  );
  const [customer] = await db.query<{ id: string }>(`SELECT id FROM customers WHERE account_number = 'R1'`);
  // Every rollup trigger on cases (migrations 1620, 1621, 1650, 1651, 1680: they append deltas).
  const names = (
    await db.query<{ tgname: string }>(
      `SELECT tgname FROM pg_trigger WHERE tgrelid = 'cases'::regclass
         AND (tgname LIKE 'cases\\_rollups%' OR tgname LIKE 'cases\\_backlog%') ORDER BY 1`,
    )
  ).map((r) => r.tgname);
  const triggers = async (on: boolean) =>
    db.exec(names.map((name) => `ALTER TABLE cases ${on ? 'ENABLE' : 'DISABLE'} TRIGGER ${name};`).join('\n'));
  const results = { off: [] as number[], on: [] as number[] };
  const elapsed = { off: 0, on: 0 };
  try {
    for (let round = 0; round < Number(args.rounds) * 2; round++) {
      const mode = round % 2 === 0 ? 'off' : 'on';
      await triggers(mode === 'on');
      const ids: string[] = [];
      const t0 = performance.now();
      // With the triggers on, a fold every FOLD_MS meanwhile, as the job on a server does.
      let folding = mode === 'on';
      const folder = (async () => {
        while (folding) {
          await foldCaseRollups(db);
          await new Promise((r) => setTimeout(r, FOLD_MS));
        }
      })();
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          for (let i = 0; i < writes; i++) {
            const t = performance.now();
            const c = await cases.create(actor, {
              customerId: customer.id,
              subject: `Write path ${round}.${w}.${i}`,
              priority: ['low', 'normal', 'high'][i % 3],
              channel: 'phone',
              ownerId: agents[(w + i) % agents.length],
            });
            const closed = await cases.update(actor, c.id, { status: 'closed' }, c.version);
            await cases.update(actor, c.id, { ownerId: agents[(w + i + 1) % agents.length] }, closed.version);
            results[mode].push(performance.now() - t);
            ids.push(c.id);
          }
        }),
      );
      elapsed[mode] += performance.now() - t0;
      folding = false;
      await folder;
      await db.query('DELETE FROM cases WHERE id = ANY($1::uuid[])', [ids]);
    }
  } finally {
    await triggers(true);
  }
  const out: string[] = [];
  for (const mode of ['off', 'on'] as const) {
    const ms = [...results[mode]].sort((a, b) => a - b);
    const med = ms[Math.floor(ms.length / 2)];
    const p95 = ms[Math.min(ms.length - 1, Math.floor(ms.length * 0.95))];
    const rate = (ms.length / elapsed[mode]) * 1000;
    const name = `rollup triggers ${mode}, ${writers} writers, ${ms.length} cases`;
    log(`${name}: median ${med.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, ${rate.toFixed(0)} cases/s`);
    out.push(`| ${name} | ${med.toFixed(1)} | ${p95.toFixed(1)} | ${rate.toFixed(0)} |`);
  }
  return out;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
