import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { startTestApp, type TestApp, type TestClient } from '../../../test/helpers.js';
import { systemActor, type Actor } from '../../http/actor.js';
import { setOpenCategory } from '../cases/store.js';
import { foldCaseRollups } from '../cases/rollups.js';
import { ReportsService } from './service.js';
import { eraseCustomer, mergeCustomers, pick, versionOf } from './property.test-helpers.js';
import { expectRollupsExact } from './rollups.test-helpers.js';

/**
 * Property: after random operations through the API (open, status changes
 * including close and reopen, reassign, priority, severity and privacy changes,
 * staff follow-ups, customer merge, erasure, case deletion), a status moved to
 * the other category, and times rewritten as an import does, the rollup rows
 * (case_rollups, migration 1620, case_rollups_coarse, 1650, and case_backlog, 1651),
 * their summed rows plus the deltas not yet folded, equal a recomputation from
 * scratch with plain SQL over cases, case_follow_ups and case_reopens; folds
 * run at random points, and after a fold the summed rows alone equal it. The runs share this file's
 * database and each compares the whole table, so a failure is the first failing
 * run: fast-check's shrunk counterexample (replayed on top of it) may not be the cause.
 */

let t: TestApp;
let admin: TestClient;
const owners: (string | null)[] = [null];

beforeAll(async () => {
  t = await startTestApp({ clock: new ManualClock(new Date('2026-04-02T12:00:00Z')) });
  admin = t.admin;
  for (let i = 0; i < 3; i++) owners.push((await t.user('agent')).userId);
  // A second status of each category, so that one can move to the other category.
  await t.db.query(
    `INSERT INTO case_statuses (key, label, position, is_open) VALUES ('pending', 'Pending', 2, true),
       ('resolved', 'Resolved', 90, false)`,
  );
});
afterAll(async () => {
  await t?.close();
});

const STATUSES = ['open', 'pending', 'closed', 'resolved'] as const;
const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
const SEVERITIES = ['minor', 'major', 'critical'] as const;
const CHANNELS = ['phone', 'chat', 'email', 'web', 'portal', 'other'] as const;

const op = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('open' as const),
      customer: fc.nat(),
      status: fc.constantFrom(...STATUSES),
      priority: fc.constantFrom(...PRIORITIES),
      severity: fc.constantFrom(...SEVERITIES),
      channel: fc.constantFrom(...CHANNELS),
      owner: fc.nat(),
      private: fc.boolean(),
    }),
  },
  fc.record({ kind: fc.constant('status' as const), case: fc.nat(), status: fc.constantFrom(...STATUSES) }),
  fc.record({ kind: fc.constant('reassign' as const), case: fc.nat(), owner: fc.nat() }),
  fc.record({ kind: fc.constant('priority' as const), case: fc.nat(), priority: fc.constantFrom(...PRIORITIES) }),
  fc.record({ kind: fc.constant('severity' as const), case: fc.nat(), severity: fc.constantFrom(...SEVERITIES) }),
  fc.record({ kind: fc.constant('privacy' as const), case: fc.nat() }),
  fc.record({ kind: fc.constant('followUp' as const), case: fc.nat(), internal: fc.boolean() }),
  fc.record({ kind: fc.constant('retime' as const), case: fc.nat(), minutes: fc.integer({ min: -3000, max: 3000 }) }),
  fc.record({ kind: fc.constant('merge' as const), into: fc.nat(), from: fc.nat() }),
  fc.record({ kind: fc.constant('erase' as const), customer: fc.nat() }),
  fc.record({ kind: fc.constant('delete' as const), case: fc.nat() }),
  fc.record({ kind: fc.constant('category' as const) }),
  // The fold (cases/rollups.ts) at a random point: deltas into the summed tables.
  fc.record({ kind: fc.constant('fold' as const) }),
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

async function patchCase(id: string, body: Record<string, unknown>) {
  const res = await admin.patch(`/api/v1/cases/${id}`, {
    ...body,
    version: await versionOf(admin, `/api/v1/cases/${id}`),
  });
  expect(res.statusCode, res.body).toBe(200);
}

async function run(ops: Op[]) {
  const customers: string[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await admin.post('/api/v1/customers', { firstName: 'Roll', lastName: `Up ${i}` });
    expect(res.statusCode, res.body).toBe(201);
    customers.push((res.json() as { id: string }).id);
  }
  const cases: string[] = [];
  for (const o of ops) {
    if (o.kind === 'open') {
      const customerId = pick(customers, o.customer);
      if (!customerId) continue;
      const res = await admin.post('/api/v1/cases', {
        customerId,
        subject: 'Rollup case',
        status: o.status,
        priority: o.priority,
        severity: o.severity,
        channel: o.channel,
        ownerId: pick(owners, o.owner) ?? null,
        visibility: o.private ? 'private' : 'public',
      });
      expect(res.statusCode, res.body).toBe(201);
      cases.push((res.json() as { id: string }).id);
    } else if (o.kind === 'fold') {
      await foldCaseRollups(t.db);
    } else if (o.kind === 'merge' || o.kind === 'erase' || o.kind === 'category') {
      if (o.kind === 'merge') await mergeCustomers(admin, customers, o.into, o.from);
      else if (o.kind === 'erase') await eraseCustomer(admin, customers, o.customer, 'rollup property');
      else {
        // An administrator moves "pending" to the other category: its cases follow (cases/store.ts).
        await t.db.transaction(async (tx) => {
          const [s] = await tx.query<{ is_open: boolean }>(
            `UPDATE case_statuses SET is_open = NOT is_open WHERE key = 'pending' RETURNING is_open`,
          );
          await setOpenCategory(tx, 'pending', s.is_open);
        });
      }
    } else {
      const id = pick(cases, o.case);
      if (!id) continue;
      if (o.kind === 'status') await patchCase(id, { status: o.status });
      else if (o.kind === 'reassign') await patchCase(id, { ownerId: pick(owners, o.owner) ?? null });
      else if (o.kind === 'priority') await patchCase(id, { priority: o.priority });
      else if (o.kind === 'severity') await patchCase(id, { severity: o.severity });
      else if (o.kind === 'privacy') {
        const c = (await admin.get(`/api/v1/cases/${id}`)).json() as { visibility: string };
        await patchCase(id, { visibility: c.visibility === 'private' ? 'public' : 'private' });
      } else if (o.kind === 'followUp') {
        const res = await admin.post(`/api/v1/cases/${id}/follow-ups`, {
          kind: 'note',
          body: 'Called back',
          visibility: o.internal ? 'internal' : 'public',
        });
        expect(res.statusCode, res.body).toBe(201);
      } else if (o.kind === 'retime') {
        // Times rewritten as an import does: the case moves to other slots.
        await t.db.query(
          `UPDATE cases SET opened_at = opened_at + make_interval(mins => $2),
                            closed_at = closed_at + make_interval(mins => $2) WHERE id = $1`,
          [id, o.minutes],
        );
      } else {
        const res = await admin.delete(`/api/v1/cases/${id}`);
        expect(res.statusCode, res.body).toBe(204);
        cases.splice(cases.indexOf(id), 1);
      }
    }
  }
}

/** The rollups against the recomputation; now and then after a fold, which must leave the figures as they were. */
async function compare(fold: boolean) {
  await expectRollupsExact(t.db);
  if (fold) {
    // vacuumAfter 1: the fold's VACUUM of its deltas tables runs too.
    await foldCaseRollups(t.db, { vacuumAfter: 1 });
    await expectRollupsExact(t.db, { folded: true });
  }
}

it(
  'the case rollups equal a recomputation from the raw rows after random operations',
  { timeout: 600_000 },
  async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), fc.boolean(), async (ops, fold) => {
        await run(ops);
        await compare(fold);
      }),
      { numRuns: 25 },
    );
  },
);

it('the cases report from the rollups equals the same report from the raw rows', { timeout: 240_000 }, async () => {
  // After the operations above (kept in this file's database): zones with
  // quarter-hour offsets, bucket sizes, filters, and a viewer without private cases.
  const clock = new ManualClock(new Date());
  const rolled = new ReportsService(t.db, clock, null);
  const raw = new ReportsService(t.db, clock, null, false);
  const all = systemActor();
  const publicOnly: Actor = {
    ...all,
    privileges: new Set([...all.privileges].filter((x) => x !== 'cases.viewPrivate')),
  };
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  const filters = [
    {},
    { ownerId: owners[1]! },
    { status: 'open,resolved', priority: 'low,high' },
    { channel: 'phone,web' },
    // One filter each: answered from the coarse rollup (migration 1650).
    { status: 'open' },
    { status: 'closed,pending' },
    { priority: 'low,urgent' },
    { severity: 'major' },
  ];
  // First with deltas not yet folded (a case changed here makes some), then folded (UTC only).
  await t.db.query(
    `UPDATE cases SET priority = CASE priority WHEN 'low' THEN 'high' ELSE 'low' END
     WHERE id = (SELECT id FROM cases ORDER BY id LIMIT 1)`,
  );
  for (const folded of [false, true]) {
    if (folded) await foldCaseRollups(t.db);
    const [{ n }] = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM case_rollups_deltas');
    expect(n > 0).toBe(!folded);
    for (const tz of folded ? ['UTC'] : ['UTC', 'Asia/Kathmandu', 'America/St_Johns', 'Australia/Lord_Howe']) {
      for (const bucket of ['day', 'week'] as const) {
        for (const f of filters) {
          for (const actor of [all, publicOnly]) {
            const q = { from: day(-6), to: day(6), tz, bucket, ...f };
            const label = JSON.stringify({ folded, ...q });
            expect(await rolled.cases(actor, q), label).toEqual(await raw.cases(actor, q));
          }
        }
      }
    }
  }
});

it('the backlog from case_backlog equals the backlog read from the open cases', { timeout: 120_000 }, async () => {
  // Clocks near the cases' times (opened around the app's clock, 2026-04-02, moved by up to two days), so the
  // age bands' bounds fall inside days that hold cases; and the real now, where every case is older than 30 days.
  const all = systemActor();
  const publicOnly: Actor = {
    ...all,
    privileges: new Set([...all.privileges].filter((x) => x !== 'cases.viewPrivate')),
  };
  const filters = [{}, { status: 'pending' }, { priority: 'low,high' }, { status: 'open', priority: 'urgent' }];
  // First with deltas not yet folded (an open case changed here makes some), then folded.
  await t.db.query(
    `UPDATE cases SET priority = CASE priority WHEN 'low' THEN 'high' ELSE 'low' END
     WHERE id = (SELECT id FROM cases WHERE is_open ORDER BY id LIMIT 1)`,
  );
  for (const folded of [false, true]) {
    if (folded) await foldCaseRollups(t.db);
    const [{ n }] = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM case_backlog_deltas');
    expect(n > 0).toBe(!folded);
    for (const now of [
      '2026-04-02T12:00:00Z',
      '2026-04-03T05:17:42Z',
      '2026-04-05T23:59:30Z',
      '2026-04-09T13:00:00Z',
    ]) {
      const clock = new ManualClock(new Date(now));
      const rolled = new ReportsService(t.db, clock, null);
      const raw = new ReportsService(t.db, clock, null, false);
      for (const f of filters) {
        for (const actor of [all, publicOnly]) {
          const q = { tz: 'UTC', ...f };
          const label = JSON.stringify({ folded, now, ...q });
          expect((await rolled.cases(actor, q)).backlog, label).toEqual((await raw.cases(actor, q)).backlog);
        }
      }
    }
  }
});
