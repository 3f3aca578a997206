import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { startTestApp, type TestApp, type TestClient } from '../../../test/helpers.js';
import { systemActor } from '../../http/actor.js';
import { walk } from '../cases/fixtures.test-helpers.js';
import { interactionConditions } from '../interactions/store.js';
import { foldRepeatCallers } from '../interactions/repeat.js';
import { eraseCustomer, mergeCustomers, pick, PREVIOUS_INBOUND_FROM_SCRATCH } from './property.test-helpers.js';
import { ReportsService } from './service.js';

/**
 * Property: after random operations (calls reported now and backdated, a bulk
 * insert as an import does, a match or relink to another customer, a customer
 * merge, erasure and deletion, a from address, a start time or a direction
 * rewritten, an interaction deleted by an operator, and folds at random points),
 * the repeat callers counted by the report and by the list's condition equal the
 * former per-interaction probe whether or not a fold ran since the last change;
 * and after a fold every interaction's stored `previous_inbound_at` (migration
 * 1640) equals a recomputation with plain SQL over the raw rows. The report's
 * repeat callers for several N and zones equal the probe and their list's length.
 * The runs share this file's database and each compares the whole table, so a
 * failure is the first failing run: fast-check's shrunk counterexample
 * (replayed on top of it) may not be the cause.
 */

const NOW = new Date('2026-04-02T12:00:00Z');
let t: TestApp;
let admin: TestClient;
let clock: ManualClock;

beforeAll(async () => {
  clock = new ManualClock(NOW);
  // The clock moves on between calls: sessions must outlive the runs.
  t = await startTestApp({ clock, env: { SESSION_IDLE_MINUTES: '43200', SESSION_MAX_HOURS: '720' } });
  admin = t.admin;
});
afterAll(async () => {
  await t?.close();
});

/** A few callers' numbers, so that the same caller calls again; customers own some of them. */
const NUMBERS = ['+12125550101', '+12125550102', '+12125550103', '+12125550104'];
const MINUTES = 60;
const DAY_MINUTES = 24 * MINUTES;

const op = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('call' as const),
      number: fc.nat(),
      inbound: fc.boolean(),
      // Backdated by up to ten days (0: now); whole hours often, so starts tie.
      back: fc.oneof(
        fc.constant(0),
        fc.integer({ min: 0, max: 240 }).map((h) => h * MINUTES),
        fc.nat(10 * DAY_MINUTES),
      ),
    }),
  },
  fc.record({
    kind: fc.constant('bulk' as const),
    rows: fc.array(fc.record({ number: fc.nat(), customer: fc.nat(), hours: fc.nat(240), inbound: fc.boolean() }), {
      minLength: 1,
      maxLength: 6,
    }),
  }),
  fc.record({ kind: fc.constant('associate' as const), interaction: fc.nat(), customer: fc.nat() }),
  fc.record({ kind: fc.constant('customer' as const), number: fc.nat() }),
  fc.record({ kind: fc.constant('merge' as const), into: fc.nat(), from: fc.nat() }),
  fc.record({ kind: fc.constant('erase' as const), customer: fc.nat() }),
  fc.record({ kind: fc.constant('deleteCustomer' as const), customer: fc.nat() }),
  fc.record({ kind: fc.constant('from' as const), interaction: fc.nat(), number: fc.nat(), none: fc.boolean() }),
  fc.record({
    kind: fc.constant('retime' as const),
    interaction: fc.nat(),
    minutes: fc.integer({ min: -5 * DAY_MINUTES, max: 5 * DAY_MINUTES }),
  }),
  fc.record({ kind: fc.constant('direction' as const), interaction: fc.nat() }),
  fc.record({ kind: fc.constant('delete' as const), interaction: fc.nat() }),
  fc.record({ kind: fc.constant('tick' as const), minutes: fc.nat(6 * MINUTES) }),
  // A fold by small batches of entries, as after a bulk import: callers are left listed between them.
  fc.record({ kind: fc.constant('fold' as const), batch: fc.integer({ min: 1, max: 4 }) }),
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

async function run(ops: Op[]) {
  const customers: string[] = [];
  const interactions: string[] = [];
  const number = (i: number) => NUMBERS[i % NUMBERS.length];
  for (const o of ops) {
    if (o.kind === 'call') {
      const res = await admin.post('/api/v1/interactions', {
        channel: 'phone',
        direction: o.inbound ? 'inbound' : 'outbound',
        from: number(o.number),
        to: '+12125550999',
        startedAt: new Date(clock.now().getTime() - o.back * 60_000).toISOString(),
      });
      expect(res.statusCode, res.body).toBe(201);
      interactions.push((res.json() as { id: string }).id);
    } else if (o.kind === 'bulk') {
      // One statement, as an import writes: several rows, maybe the same caller and the same start.
      const rows = await t.db.query<{ id: string }>(
        `INSERT INTO interactions (channel, direction, from_address, customer_id, match_result, state, started_at)
         SELECT 'phone', CASE WHEN r.inbound THEN 'inbound' ELSE 'outbound' END, r.number, r.customer,
                CASE WHEN r.customer IS NULL THEN 'not_found' ELSE 'found' END, 'active',
                $5::timestamptz - make_interval(hours => r.hours)
         FROM unnest($1::text[], $2::uuid[], $3::int[], $4::boolean[]) AS r (number, customer, hours, inbound)
         RETURNING id`,
        [
          o.rows.map((r) => number(r.number)),
          o.rows.map((r) => pick(customers, r.customer) ?? null),
          o.rows.map((r) => r.hours),
          o.rows.map((r) => r.inbound),
          clock.now(),
        ],
      );
      interactions.push(...rows.map((r) => r.id));
    } else if (o.kind === 'customer') {
      const res = await admin.post('/api/v1/customers', {
        firstName: 'Repeat',
        lastName: `Caller ${customers.length}`,
        phones: [{ number: number(o.number) }],
      });
      expect(res.statusCode, res.body).toBe(201);
      customers.push((res.json() as { id: string }).id);
    } else if (o.kind === 'merge') {
      await mergeCustomers(admin, customers, o.into, o.from);
    } else if (o.kind === 'erase') {
      await eraseCustomer(admin, customers, o.customer, 'repeat callers property');
    } else if (o.kind === 'deleteCustomer') {
      const id = pick(customers, o.customer);
      if (!id) continue;
      const res = await admin.delete(`/api/v1/customers/${id}`);
      expect(res.statusCode, res.body).toBe(204);
      customers.splice(customers.indexOf(id), 1);
    } else if (o.kind === 'tick') {
      clock.advance(o.minutes * 60_000);
    } else if (o.kind === 'fold') {
      expect(await foldRepeatCallers(t.db, { batch: o.batch })).not.toBeNull();
    } else {
      const id = pick(interactions, o.interaction);
      if (!id) continue;
      if (o.kind === 'associate') {
        const customerId = pick(customers, o.customer);
        if (!customerId) continue;
        const res = await admin.post(`/api/v1/interactions/${id}/associate`, { customerId });
        expect(res.statusCode, res.body).toBe(200);
      } else if (o.kind === 'from') {
        await t.db.query(`UPDATE interactions SET from_address = $2 WHERE id = $1`, [
          id,
          o.none ? null : number(o.number),
        ]);
      } else if (o.kind === 'retime') {
        // A start corrected as an import does.
        await t.db.query(`UPDATE interactions SET started_at = started_at + make_interval(mins => $2) WHERE id = $1`, [
          id,
          o.minutes,
        ]);
      } else if (o.kind === 'direction') {
        await t.db.query(
          `UPDATE interactions SET direction = CASE direction WHEN 'inbound' THEN 'outbound' ELSE 'inbound' END
           WHERE id = $1`,
          [id],
        );
      } else {
        // The product never deletes an interaction (its guard refuses); an operator
        // lifting the guard for one statement still leaves the stored gaps exact.
        await t.db.transaction(async (tx) => {
          await tx.exec('ALTER TABLE interactions DISABLE TRIGGER interactions_append_only');
          await tx.query('DELETE FROM interactions WHERE id = $1', [id]);
          await tx.exec('ALTER TABLE interactions ENABLE TRIGGER interactions_append_only');
        });
        interactions.splice(interactions.indexOf(id), 1);
      }
    }
  }
}

/** The report's repeat callers as they were counted before the stored gap: a probe per interaction. */
const PROBE = `
  SELECT count(*)::int AS n FROM interactions i
  WHERE i.started_at >= $1::timestamptz AND i.started_at < $2::timestamptz AND i.direction = 'inbound'
    AND EXISTS (SELECT 1 FROM interactions j
                WHERE j.direction = 'inbound' AND j.started_at < i.started_at
                  AND j.started_at >= i.started_at - make_interval(days => $3::int)
                  AND (j.customer_id = i.customer_id OR j.from_address = i.from_address))`;

/** The report's count and the list's condition against the probe, over the last 30 days, for several N. */
async function countsExact(label: string) {
  const reports = new ReportsService(t.db, clock, null);
  const day = (offset: number) => new Date(clock.now().getTime() + offset * 86_400_000).toISOString().slice(0, 10);
  for (const days of [1, 7]) {
    const r = await reports.interactions(systemActor(), { from: day(-30), to: day(1), tz: 'UTC', repeatDays: days });
    const [probe] = await t.db.query<{ n: number }>(PROBE, [r.range.start, r.range.end, days]);
    expect(r.repeatCallers.interactions.count, `${label}: the report, ${days} days`).toBe(probe.n);
    const p: unknown[] = [];
    const w = interactionConditions(
      { startedFrom: r.range.start, startedTo: r.range.end, repeatWithinDays: days },
      (v) => `$${p.push(v)}`,
    );
    const [listed] = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM interactions i WHERE ${w.join(' AND ')}`,
      p,
    );
    expect(listed.n, `${label}: the list's condition, ${days} days`).toBe(probe.n);
  }
}

/** After a fold, the stored values equal the recomputation and nothing waits. */
async function compare() {
  expect(await foldRepeatCallers(t.db)).not.toBeNull();
  const [{ n }] = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM interaction_callers_dirty');
  expect(n).toBe(0);
  const stored = await t.db.query<{ id: string; prev: Date | null }>(
    `SELECT id, previous_inbound_at AS prev FROM interactions ORDER BY id`,
  );
  const fresh = await t.db.query<{ id: string; prev: Date | null }>(PREVIOUS_INBOUND_FROM_SCRATCH);
  expect(stored).toEqual(fresh);
}

it(
  'repeat callers are exact with or without a fold, and the stored values equal a recomputation after one',
  { timeout: 600_000 },
  async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
        await run(ops);
        await countsExact('before a fold');
        await compare();
        await countsExact('after a fold');
      }),
      { numRuns: 25 },
    );
  },
);

it('the migration fills the same values for existing rows', async () => {
  // Its backfill statement, run again over the operations' rows (kept in this file's database), in a transaction undone.
  const migration = readFileSync(
    new URL('../../db/migrations/1640_interactions_previous_inbound.sql', import.meta.url),
    'utf8',
  );
  const existing = migration.slice(migration.indexOf('-- Existing rows'));
  const backfill = existing.slice(existing.indexOf('UPDATE interactions'));
  const statement = backfill.slice(0, backfill.indexOf(';'));
  const fresh = await t.db.query<{ id: string; prev: Date | null }>(PREVIOUS_INBOUND_FROM_SCRATCH);
  expect(fresh.filter((r) => r.prev !== null).length).toBeGreaterThan(0);
  await t.db
    .transaction(async (tx) => {
      await tx.query('UPDATE interactions SET previous_inbound_at = NULL');
      await tx.query(statement);
      const filled = await tx.query<{ id: string; prev: Date | null }>(
        `SELECT id, previous_inbound_at AS prev FROM interactions ORDER BY id`,
      );
      expect(filled).toEqual(fresh);
      throw new Undo();
    })
    .catch((e: unknown) => {
      if (!(e instanceof Undo)) throw e;
    });
  await compare();
});

class Undo extends Error {}

it('repeat callers in the report equal the former probe and their list', { timeout: 120_000 }, async () => {
  // After the operations above (kept in this file's database), over zones and days.
  const reports = new ReportsService(t.db, clock, null);
  const day = (offset: number) => new Date(clock.now().getTime() + offset * 86_400_000).toISOString().slice(0, 10);
  let seen = 0;
  for (const tz of ['UTC', 'America/New_York', 'Asia/Kathmandu']) {
    for (const days of [1, 2, 7, 30]) {
      const r = await reports.interactions(systemActor(), { from: day(-60), to: day(1), tz, repeatDays: days });
      const { count, list } = r.repeatCallers.interactions;
      const [probe] = await t.db.query<{ n: number }>(PROBE, [r.range.start, r.range.end, days]);
      expect(count, `${tz}, ${days} days`).toBe(probe.n);
      expect(list).not.toBeNull();
      const items = await walk<{ id: string }>(admin, `${list!.path}?${new URLSearchParams(list!.query)}`, 200);
      expect(items.length, `${tz}, ${days} days: the list`).toBe(count);
      seen += count;
    }
  }
  expect(seen).toBeGreaterThan(0);
});
