import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { startTestApp, type TestApp, type TestClient } from '../../../test/helpers.js';
import { systemActor, type Actor } from '../../http/actor.js';
import { setOpenCategory } from '../cases/store.js';
import { ReportsService } from './service.js';

/**
 * Property: after random operations through the API (open, status changes
 * including close and reopen, reassign, priority, severity and privacy changes,
 * staff follow-ups, customer merge, erasure, case deletion), a status moved to
 * the other category, and times rewritten as an import does, the rollup rows
 * (case_rollups, migration 1620, case_rollups_coarse, 1650, and case_backlog, 1651) equal
 * a recomputation from scratch with plain
 * SQL over cases, case_follow_ups and case_reopens. The runs share this file's
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
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

async function version(url: string): Promise<number> {
  const res = await admin.get(url);
  expect(res.statusCode, url).toBe(200);
  return (res.json() as { version: number }).version;
}

async function patchCase(id: string, body: Record<string, unknown>) {
  const res = await admin.patch(`/api/v1/cases/${id}`, { ...body, version: await version(`/api/v1/cases/${id}`) });
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
  const at = <T>(xs: T[], i: number): T | undefined => (xs.length ? xs[i % xs.length] : undefined);
  for (const o of ops) {
    if (o.kind === 'open') {
      const customerId = at(customers, o.customer);
      if (!customerId) continue;
      const res = await admin.post('/api/v1/cases', {
        customerId,
        subject: 'Rollup case',
        status: o.status,
        priority: o.priority,
        severity: o.severity,
        channel: o.channel,
        ownerId: at(owners, o.owner) ?? null,
        visibility: o.private ? 'private' : 'public',
      });
      expect(res.statusCode, res.body).toBe(201);
      cases.push((res.json() as { id: string }).id);
    } else if (o.kind === 'merge' || o.kind === 'erase' || o.kind === 'category') {
      if (o.kind === 'merge') {
        const into = at(customers, o.into);
        const from = at(customers, o.from);
        if (!into || !from || into === from) continue;
        const res = await admin.post(`/api/v1/customers/${into}/merge`, {
          fromId: from,
          version: await version(`/api/v1/customers/${into}`),
          fromVersion: await version(`/api/v1/customers/${from}`),
        });
        expect(res.statusCode, res.body).toBe(200);
        customers.splice(customers.indexOf(from), 1);
      } else if (o.kind === 'erase') {
        const id = at(customers, o.customer);
        if (!id) continue;
        const res = await admin.post(`/api/v1/customers/${id}/erase`, { reason: 'rollup property' });
        expect(res.statusCode, res.body).toBe(200);
      } else {
        // An administrator moves "pending" to the other category: its cases follow (cases/store.ts).
        await t.db.transaction(async (tx) => {
          const [s] = await tx.query<{ is_open: boolean }>(
            `UPDATE case_statuses SET is_open = NOT is_open WHERE key = 'pending' RETURNING is_open`,
          );
          await setOpenCategory(tx, 'pending', s.is_open);
        });
      }
    } else {
      const id = at(cases, o.case);
      if (!id) continue;
      if (o.kind === 'status') await patchCase(id, { status: o.status });
      else if (o.kind === 'reassign') await patchCase(id, { ownerId: at(owners, o.owner) ?? null });
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

const KEY = `kind, slot, channel, priority, severity, status, is_open, owner_id, visibility`;

/** Every rollup figure recomputed from the raw rows (follow-ups and reopens themselves, not the columns the triggers keep). */
const FROM_SCRATCH = `
  SELECT 'opened' AS kind, date_bin('15 minutes', c.opened_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS slot, c.channel,
         c.priority, c.severity, c.status, c.is_open, c.owner_id, c.visibility, count(*)::int AS cases,
         0 AS one_response, 0 AS reopened
  FROM cases c GROUP BY 2, 3, 4, 5, 6, 7, 8, 9
  UNION ALL
  SELECT 'closed', date_bin('15 minutes', c.closed_at, TIMESTAMPTZ '2000-01-01 00:00:00+00'), c.channel, c.priority,
         c.severity, c.status, c.is_open, c.owner_id, c.visibility, count(*)::int,
         count(*) FILTER (WHERE (SELECT count(*) FROM case_follow_ups f WHERE f.case_id = c.id
                                 AND f.author_type = 'user' AND f.visibility = 'public') = 1)::int,
         count(*) FILTER (WHERE EXISTS (SELECT 1 FROM case_reopens r WHERE r.case_id = c.id))::int
  FROM cases c WHERE c.closed_at IS NOT NULL GROUP BY 2, 3, 4, 5, 6, 7, 8, 9`;

const COARSE_KEY = `dim, kind, slot, visibility, channel, priority, severity, status, is_open`;

/** The coarse rollup (case_rollups_coarse, migration 1650) recomputed from the raw rows: one filter column at a time. */
const COARSE_FROM_SCRATCH = `
  WITH f AS (
    SELECT 'opened' AS kind, date_bin('15 minutes', c.opened_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS slot,
           c.visibility, c.channel, c.priority, c.severity, c.status, c.is_open, 0 AS one_response, 0 AS reopened
    FROM cases c
    UNION ALL
    SELECT 'closed', date_bin('15 minutes', c.closed_at, TIMESTAMPTZ '2000-01-01 00:00:00+00'), c.visibility,
           c.channel, c.priority, c.severity, c.status, c.is_open,
           CASE WHEN (SELECT count(*) FROM case_follow_ups u WHERE u.case_id = c.id
                      AND u.author_type = 'user' AND u.visibility = 'public') = 1 THEN 1 ELSE 0 END,
           CASE WHEN EXISTS (SELECT 1 FROM case_reopens r WHERE r.case_id = c.id) THEN 1 ELSE 0 END
    FROM cases c WHERE c.closed_at IS NOT NULL)
  SELECT 'all' AS dim, kind, slot, visibility, NULL::text AS channel, NULL::text AS priority, NULL::text AS severity,
         NULL::text AS status, NULL::boolean AS is_open,
         count(*)::int AS cases, sum(one_response)::int AS one_response, sum(reopened)::int AS reopened
  FROM f GROUP BY kind, slot, visibility
  UNION ALL
  SELECT 'channel', kind, slot, visibility, channel, NULL, NULL, NULL, NULL, count(*)::int, sum(one_response)::int,
         sum(reopened)::int
  FROM f GROUP BY kind, slot, visibility, channel
  UNION ALL
  SELECT 'priority', kind, slot, visibility, NULL, priority, NULL, NULL, NULL, count(*)::int, sum(one_response)::int,
         sum(reopened)::int
  FROM f GROUP BY kind, slot, visibility, priority
  UNION ALL
  SELECT 'severity', kind, slot, visibility, NULL, NULL, severity, NULL, NULL, count(*)::int, sum(one_response)::int,
         sum(reopened)::int
  FROM f GROUP BY kind, slot, visibility, severity
  UNION ALL
  SELECT 'status', kind, slot, visibility, NULL, NULL, NULL, status, is_open, count(*)::int, sum(one_response)::int,
         sum(reopened)::int
  FROM f GROUP BY kind, slot, visibility, status, is_open`;

async function compare() {
  const rows = async (sql: string, key: string) =>
    (await t.db.query<Record<string, unknown>>(`SELECT * FROM (${sql}) x ORDER BY ${key}`)).map((r) => ({
      ...r,
      slot: (r.slot as Date).toISOString(),
    }));
  const [rolled, fresh] = [
    await rows(`SELECT ${KEY}, cases, one_response, reopened FROM case_rollups`, KEY),
    await rows(FROM_SCRATCH, KEY),
  ];
  expect(rolled).toEqual(fresh);
  const [coarse, coarseFresh] = [
    await rows(`SELECT ${COARSE_KEY}, cases, one_response, reopened FROM case_rollups_coarse`, COARSE_KEY),
    await rows(COARSE_FROM_SCRATCH, COARSE_KEY),
  ];
  expect(coarse).toEqual(coarseFresh);
  // The backlog (case_backlog, migration 1651): open cases per UTC day opened, visibility, status, priority, no owner.
  const BACKLOG_KEY = 'opened_on, visibility, status, priority, unassigned';
  const backlog = async (sql: string) =>
    t.db.query<Record<string, unknown>>(`SELECT * FROM (${sql}) x ORDER BY ${BACKLOG_KEY}`);
  expect(await backlog(`SELECT ${BACKLOG_KEY}, cases FROM case_backlog`)).toEqual(
    await backlog(
      `SELECT (opened_at AT TIME ZONE 'UTC')::date AS opened_on, visibility, status, priority,
              owner_id IS NULL AS unassigned, count(*)::int AS cases
       FROM cases WHERE is_open GROUP BY 1, 2, 3, 4, 5`,
    ),
  );
}

it(
  'the case rollups equal a recomputation from the raw rows after random operations',
  { timeout: 600_000 },
  async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
        await run(ops);
        await compare();
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
  for (const tz of ['UTC', 'Asia/Kathmandu', 'America/St_Johns', 'Australia/Lord_Howe']) {
    for (const bucket of ['day', 'week'] as const) {
      for (const f of filters) {
        for (const actor of [all, publicOnly]) {
          const q = { from: day(-6), to: day(6), tz, bucket, ...f };
          expect(await rolled.cases(actor, q), JSON.stringify(q)).toEqual(await raw.cases(actor, q));
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
  for (const now of ['2026-04-02T12:00:00Z', '2026-04-03T05:17:42Z', '2026-04-05T23:59:30Z', '2026-04-09T13:00:00Z']) {
    const clock = new ManualClock(new Date(now));
    const rolled = new ReportsService(t.db, clock, null);
    const raw = new ReportsService(t.db, clock, null, false);
    for (const f of filters) {
      for (const actor of [all, publicOnly]) {
        const q = { tz: 'UTC', ...f };
        const label = JSON.stringify({ now, ...q });
        expect((await rolled.cases(actor, q)).backlog, label).toEqual((await raw.cases(actor, q)).backlog);
      }
    }
  }
});
