import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { startTestApp, type TestApp, type TestClient } from '../../../test/helpers.js';
import { makeCase, makeCustomer, walk } from '../cases/fixtures.test-helpers.js';
import { generate, insertSeed, prng, type SeedData } from './seed.test-helpers.js';

interface ListRef {
  path: string;
  query: Record<string, string>;
}
interface Figure {
  count: number;
  list: ListRef | null;
}

/** Every {count, list} in a report, with where it sits. */
function figures(v: unknown, at = '', out: { at: string; f: Figure }[] = []) {
  if (Array.isArray(v)) v.forEach((x, i) => figures(x, `${at}[${i}]`, out));
  else if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.count === 'number' && 'list' in o) out.push({ at, f: o as unknown as Figure });
    else for (const [k, x] of Object.entries(o)) figures(x, `${at}.${k}`, out);
  }
  return out;
}

const url = (l: ListRef) => `${l.path}?${new URLSearchParams(l.query).toString()}`;

const NOW = new Date('2026-04-02T12:00:00Z');
let t: TestApp;
let sup: TestClient;
let data: SeedData;
let agents: string[];

beforeAll(async () => {
  const clock = new ManualClock(NOW);
  t = await startTestApp({ clock });
  sup = await t.user('supervisor');
  const a1 = await t.user('agent');
  const a2 = await t.user('agent');
  agents = [a1.userId!, a2.userId!, sup.userId!];
  const customers = [await makeCustomer(t, 'Ann'), await makeCustomer(t, 'Bob')];
  data = generate(prng(23), {
    start: new Date('2026-03-01T00:00:00Z'),
    days: 33,
    now: NOW,
    users: agents,
    customers,
    cases: 120,
    interactions: 160,
    tasks: 80,
  });
  await insertSeed(t.db, data, customers[0]);
});

afterAll(async () => {
  await t?.close();
});

async function report(client: TestClient, name: string, qs: string) {
  const res = await client.get(`/api/v1/reports/${name}?${qs}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as Record<string, unknown>;
}

async function checkClickThrough(client: TestClient, body: unknown) {
  const all = figures(body);
  expect(all.length).toBeGreaterThan(0);
  for (const { at, f } of all) {
    if (f.list === null) {
      expect(f.count, at).toBe(0);
      continue;
    }
    const items = await walk<{ id: string }>(client, url(f.list), 200);
    expect(items.length, `${at}: ${url(f.list)}`).toBe(f.count);
  }
  return all.length;
}

describe('click-through: every figure equals its list', () => {
  for (const [tz, bucket] of [
    ['Europe/Paris', 'day'],
    ['America/New_York', 'week'],
  ] as const) {
    it(`${tz}, ${bucket} buckets, every report`, async () => {
      const qs = `from=2026-03-01&to=2026-04-02&tz=${encodeURIComponent(tz)}&bucket=${bucket}`;
      let n = 0;
      for (const name of ['cases', 'interactions', 'workload', 'tasks', 'wallboard']) {
        n += await checkClickThrough(sup, await report(sup, name, qs));
      }
      expect(n).toBeGreaterThan(100);
    });
  }

  it('with filters (channel, priority, owner, status)', async () => {
    const qs = `from=2026-03-10&to=2026-03-31&tz=Europe/Paris&channel=phone,chat&priority=normal,high&ownerId=${agents[0]}&status=open`;
    for (const name of ['cases', 'interactions', 'workload', 'tasks']) {
      await checkClickThrough(sup, await report(sup, name, qs));
    }
    await checkClickThrough(
      sup,
      await report(sup, 'cases', 'from=2026-03-10&to=2026-03-31&ownerId=none&status=closed'),
    );
  });

  it('an agent given reports.view without cases.viewPrivate: private cases are not counted', async () => {
    const viewer = await t.user('agent', {
      privileges: ['cases.view', 'customers.view', 'tasks.view', 'reports.view'],
    });
    const body = (await report(viewer, 'cases', 'from=2026-03-01&to=2026-04-02')) as {
      totals: { opened: Figure };
    };
    const seen = data.cases.filter((c) => c.visibility === 'public' && c.openedAt < new Date('2026-04-03T00:00:00Z'));
    expect(body.totals.opened.count).toBe(seen.length);
    await checkClickThrough(viewer, body);
  });
});

describe('hand-computed figures', () => {
  it('buckets follow the viewer time zone across a DST change', async () => {
    const paris = (await report(sup, 'cases', 'from=2026-03-28&to=2026-03-30&tz=Europe/Paris')) as {
      buckets: { key: string; start: string; end: string }[];
    };
    expect(paris.buckets).toEqual([
      { key: '2026-03-28', start: '2026-03-27T23:00:00.000Z', end: '2026-03-28T23:00:00.000Z' },
      // the 23-hour day: clocks go forward at 02:00
      { key: '2026-03-29', start: '2026-03-28T23:00:00.000Z', end: '2026-03-29T22:00:00.000Z' },
      { key: '2026-03-30', start: '2026-03-29T22:00:00.000Z', end: '2026-03-30T22:00:00.000Z' },
    ]);
    const ny = (await report(sup, 'cases', 'from=2026-03-07&to=2026-03-08&tz=America/New_York')) as {
      buckets: { key: string; start: string; end: string }[];
    };
    expect(ny.buckets.map((b) => [b.start, b.end])).toEqual([
      ['2026-03-07T05:00:00.000Z', '2026-03-08T05:00:00.000Z'],
      ['2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z'],
    ]);
  });

  it('opened per day, first response and resolution (median, p90), FCR and reopen rate on a fixed set', async () => {
    const customer = await makeCustomer(t, 'Hand');
    const own = agents[1];
    const put = async (opened: string, closed: string | null, replies: string[], reopened: string | null) => {
      const c = await makeCase(t.admin, customer, { channel: 'portal', ownerId: own });
      await t.db.query('UPDATE cases SET opened_at = $2, closed_at = $3, status = $4, is_open = $5 WHERE id = $1', [
        c.id,
        opened,
        closed,
        closed ? 'closed' : 'open',
        !closed,
      ]);
      for (const r of replies) {
        await t.db.query(
          `INSERT INTO case_follow_ups (case_id, kind, visibility, body, author_type, author_name, channel, created_at)
           VALUES ($1, 'note', 'public', 'hi', 'user', 'A', 'console', $2)`,
          [c.id, r],
        );
      }
      if (reopened) await t.db.query('INSERT INTO case_reopens (case_id, at) VALUES ($1, $2)', [c.id, reopened]);
    };
    // Paris 2026-03-29 (23:00Z on the 28th to 22:00Z on the 29th): three cases.
    await put('2026-03-28T23:30:00Z', '2026-03-29T01:30:00Z', ['2026-03-28T23:40:00Z'], null); // FR 10 min, res 2 h, FCR
    await put('2026-03-29T10:00:00Z', '2026-03-29T14:00:00Z', ['2026-03-29T10:30:00Z', '2026-03-29T11:00:00Z'], null); // FR 30 min, res 4 h
    await put('2026-03-29T21:00:00Z', '2026-03-29T21:50:00Z', [], '2026-03-29T21:40:00Z'); // no reply, res 50 min, reopened
    // 22:30Z on the 29th is the 30th in Paris.
    await put('2026-03-29T22:30:00Z', null, ['2026-03-29T23:30:00Z'], null); // FR 60 min
    const body = (await report(sup, 'cases', 'from=2026-03-29&to=2026-03-30&tz=Europe/Paris&channel=portal')) as {
      opened: Figure[];
      closed: Figure[];
      reopened: Figure[];
      firstResponse: { buckets: { n: Figure; medianSeconds: number; p90Seconds: number }[] };
      resolution: { total: { n: Figure; medianSeconds: number; p90Seconds: number } };
      firstContactResolution: { resolved: Figure; rate: number };
      reopenRate: { reopened: Figure; rate: number };
      backlog: { unassigned: Figure; total: Figure };
    };
    expect(body.opened.map((f) => f.count)).toEqual([3, 1]);
    expect(body.closed.map((f) => f.count)).toEqual([3, 0]);
    expect(body.reopened.map((f) => f.count)).toEqual([1, 0]);
    // First response, the 29th: 10 and 30 minutes → median 20 min, p90 = 10 + 0.9 × 20 = 28 min.
    expect(body.firstResponse.buckets[0].n.count).toBe(2);
    expect(body.firstResponse.buckets[0].medianSeconds).toBe(1200);
    expect(body.firstResponse.buckets[0].p90Seconds).toBeCloseTo(1680, 6);
    expect(body.firstResponse.buckets[1].medianSeconds).toBe(3600);
    // Resolution: 2 h, 4 h, 50 min → median 2 h; p90 = 2 h + 0.8 × 2 h = 3.6 h.
    expect(body.resolution.total.n.count).toBe(3);
    expect(body.resolution.total.medianSeconds).toBe(7200);
    expect(body.resolution.total.p90Seconds).toBeCloseTo(12960, 6);
    expect(body.firstContactResolution.resolved.count).toBe(1);
    expect(body.firstContactResolution.rate).toBeCloseTo(1 / 3, 9);
    expect(body.reopenRate.reopened.count).toBe(1);
    expect(body.backlog.total.count).toBe(1);
    expect(body.backlog.unassigned.count).toBe(0);
    await checkClickThrough(sup, body);
  });

  it('a reopen through the API is logged by the trigger', async () => {
    const customer = await makeCustomer(t, 'Reo');
    const c = await makeCase(t.admin, customer);
    let res = await t.admin.patch(`/api/v1/cases/${c.id}`, { status: 'closed', version: c.version });
    expect(res.statusCode, res.body).toBe(200);
    res = await t.admin.patch(`/api/v1/cases/${c.id}`, { status: 'open', version: c.version + 1 });
    expect(res.statusCode, res.body).toBe(200);
    const rows = await t.db.query('SELECT 1 FROM case_reopens WHERE case_id = $1', [c.id]);
    expect(rows.length).toBe(1);
  });

  it('staff follow-ups through the API set the first response and the count (internal notes do not)', async () => {
    const customer = await makeCustomer(t, 'Fru');
    const c = await makeCase(t.admin, customer);
    const add = (visibility: string) =>
      t.admin.post(`/api/v1/cases/${c.id}/follow-ups`, { kind: 'note', body: 'hello', visibility });
    expect((await add('internal')).statusCode).toBe(201);
    let [row] = await t.db.query<{ first_response_at: Date | null; staff_responses: number }>(
      'SELECT first_response_at, staff_responses FROM cases WHERE id = $1',
      [c.id],
    );
    expect(row).toEqual({ first_response_at: null, staff_responses: 0 });
    expect((await add('public')).statusCode).toBe(201);
    expect((await add('public')).statusCode).toBe(201);
    [row] = await t.db.query('SELECT first_response_at, staff_responses FROM cases WHERE id = $1', [c.id]);
    expect(row.staff_responses).toBe(2);
    expect(row.first_response_at).toBeInstanceOf(Date);
    const listed = await walk<{ id: string }>(sup, `/api/v1/cases?staffResponses=2&responded=true`, 200);
    expect(listed.map((x) => x.id)).toContain(c.id);
  });
});

describe('access and bad input', () => {
  it('agents have no reports.view by default; bad filters are a 400 naming the field', async () => {
    const agent = await t.user('agent');
    expect((await agent.get('/api/v1/reports/cases')).statusCode).toBe(403);
    const cases: [string, string][] = [
      ['tz=Mars/Olympus', 'tz'],
      ['from=2026-03-10&to=2026-03-01', 'from'],
      ['from=2020-01-01&to=2026-01-01', 'to'],
      ['priority=nope', 'priority'],
      ['status=nope', 'status'],
      ['channel=fax', 'channel'],
      ['ownerId=bob', 'ownerId'],
      ['bucket=year', 'bucket'],
    ];
    for (const [qs, field] of cases) {
      const res = await sup.get(`/api/v1/reports/cases?${qs}`);
      expect(res.statusCode, qs).toBe(400);
      expect(JSON.stringify(res.json()), qs).toContain(field);
    }
    const res = await sup.get('/api/v1/interactions?channel=fax');
    expect(res.statusCode).toBe(400);
  });
});
