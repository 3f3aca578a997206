import fc from 'fast-check';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { startTestApp, type TestApp, type TestClient } from '../../../test/helpers.js';
import { generate, insertSeed, prng, type SeedData } from './seed.test-helpers.js';

/**
 * Property: over random data (a fast-check seed and sizes driving the seeded
 * generator, in a random time zone and bucket size), a few figures equal a
 * naive computation in JavaScript: opened and closed per bucket, the first
 * response median per bucket, interactions per hour of day, repeat callers,
 * overdue tasks. Each run writes its own owner, customer and callers' numbers,
 * and filters the reports on that owner, so runs do not see each other.
 */

const NOW = new Date('2026-04-02T12:00:00Z');
const FROM = '2026-03-01';
const TO = '2026-04-01';
const DAY = 86_400_000;

let t: TestApp;
let sup: TestClient;

beforeAll(async () => {
  t = await startTestApp({ clock: new ManualClock(NOW) });
  sup = await t.user('supervisor');
});
afterAll(async () => {
  await t?.close();
});

const parts = new Map<string, Intl.DateTimeFormat>();
function local(d: Date, tz: string): { date: string; hour: number } {
  let f = parts.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone: tz,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      hourCycle: 'h23',
    });
    parts.set(tz, f);
  }
  const p = Object.fromEntries(f.formatToParts(d).map((x) => [x.type, x.value]));
  return { date: `${p.year}-${p.month}-${p.day}`, hour: Number(p.hour) };
}

/** The bucket key (local start date) of a local date. */
function bucketOf(date: string, unit: 'day' | 'week' | 'month'): string {
  if (unit === 'day') return date;
  if (unit === 'month') return `${date.slice(0, 8)}01`;
  const d = new Date(`${date}T00:00:00Z`);
  const monday = new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * DAY);
  return monday.toISOString().slice(0, 10);
}

function percentileCont(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const pos = p * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

function countBy(keys: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

async function freshRun(seed: number, sizes: { cases: number; interactions: number; tasks: number }) {
  const owner = randomUUID();
  await t.db.query(`INSERT INTO users (id, email, password_hash, role) VALUES ($1, $2, 'x', 'agent')`, [
    owner,
    `prop-${owner}@example.test`,
  ]);
  const customer = randomUUID();
  await t.db.query('INSERT INTO customers (id, account_number, first_name, last_name) VALUES ($1, $2, $3, $3)', [
    customer,
    `P${randomBytes(6).toString('hex')}`,
    'Prop',
  ]);
  const data = generate(prng(seed), {
    start: new Date('2026-02-26T00:00:00Z'),
    days: 36,
    now: NOW,
    users: [owner],
    customers: [customer],
    ...sizes,
    numberPrefix: `+1${String(100 + (seed % 800)).padStart(3, '0')}${randomBytes(2).readUInt16BE() % 1000}`,
  });
  await insertSeed(t.db, data, customer);
  return { owner, data };
}

function naive(data: SeedData, owner: string, tz: string, unit: 'day' | 'week' | 'month') {
  const inRange = (d: Date) => {
    const l = local(d, tz).date;
    return l >= FROM && l <= TO;
  };
  const cases = data.cases.filter((c) => c.ownerId === owner);
  const opened = countBy(
    cases.filter((c) => inRange(c.openedAt)).map((c) => bucketOf(local(c.openedAt, tz).date, unit)),
  );
  const closed = countBy(
    cases.filter((c) => c.closedAt && inRange(c.closedAt)).map((c) => bucketOf(local(c.closedAt!, tz).date, unit)),
  );
  const firstResponse = new Map<string, number[]>();
  for (const c of cases.filter((x) => inRange(x.openedAt))) {
    const replies = c.followUps
      .filter((f) => f.author === 'user' && f.visibility === 'public')
      .map((f) => f.at.getTime());
    if (replies.length === 0) continue;
    const k = bucketOf(local(c.openedAt, tz).date, unit);
    const s = Math.max(0, (Math.min(...replies) - c.openedAt.getTime()) / 1000);
    firstResponse.set(k, [...(firstResponse.get(k) ?? []), s]);
  }
  const mine = data.interactions.filter((i) => i.agentId === owner && inRange(i.startedAt));
  const perHour = Array.from({ length: 24 }, (_, h) => mine.filter((i) => local(i.startedAt, tz).hour === h).length);
  const inbound = data.interactions.filter((i) => i.direction === 'inbound');
  const repeat = mine.filter(
    (i) =>
      i.direction === 'inbound' &&
      inbound.some(
        (j) =>
          j.startedAt.getTime() < i.startedAt.getTime() &&
          j.startedAt.getTime() >= i.startedAt.getTime() - 7 * DAY &&
          ((i.customerId !== null && j.customerId === i.customerId) || (i.from !== null && j.from === i.from)),
      ),
  ).length;
  const overdue = data.tasks.filter(
    (x) => x.assigneeId === owner && x.status === 'open' && x.dueAt && inRange(x.dueAt) && x.dueAt < NOW,
  ).length;
  return { opened, closed, firstResponse, perHour, repeat, overdue };
}

interface Fig {
  count: number;
}

it('a few figures equal a naive computation over random data', { timeout: 600_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 2 ** 30 }),
      fc.constantFrom('UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'),
      fc.constantFrom('day' as const, 'week' as const, 'month' as const),
      fc.record({
        cases: fc.integer({ min: 0, max: 40 }),
        interactions: fc.integer({ min: 0, max: 40 }),
        tasks: fc.integer({ min: 0, max: 20 }),
      }),
      async (seed, tz, unit, sizes) => {
        const { owner, data } = await freshRun(seed, sizes);
        const want = naive(data, owner, tz, unit);
        const qs = `from=${FROM}&to=${TO}&tz=${encodeURIComponent(tz)}&bucket=${unit}&ownerId=${owner}`;
        const cases = (await sup.get(`/api/v1/reports/cases?${qs}`)).json() as {
          buckets: { key: string }[];
          opened: Fig[];
          closed: Fig[];
          firstResponse: { buckets: { n: Fig; medianSeconds: number | null }[] };
        };
        cases.buckets.forEach((b, i) => {
          expect(cases.opened[i].count, `opened ${b.key}`).toBe(want.opened.get(b.key) ?? 0);
          expect(cases.closed[i].count, `closed ${b.key}`).toBe(want.closed.get(b.key) ?? 0);
          const fr = want.firstResponse.get(b.key) ?? [];
          expect(cases.firstResponse.buckets[i].n.count).toBe(fr.length);
          const med = cases.firstResponse.buckets[i].medianSeconds;
          if (fr.length === 0) expect(med).toBeNull();
          else expect(med).toBeCloseTo(percentileCont(fr, 0.5)!, 3);
        });
        const inter = (await sup.get(`/api/v1/reports/interactions?${qs}`)).json() as {
          perHour: { values: Fig[] }[];
          repeatCallers: { interactions: Fig };
        };
        const hours = Array.from({ length: 24 }, (_, h) => inter.perHour.reduce((a, s) => a + s.values[h].count, 0));
        expect(hours).toEqual(want.perHour);
        expect(inter.repeatCallers.interactions.count).toBe(want.repeat);
        const tasks = (await sup.get(`/api/v1/reports/tasks?${qs}`)).json() as { totals: { overdue: Fig } };
        expect(tasks.totals.overdue.count).toBe(want.overdue);
      },
    ),
    { numRuns: 12 },
  );
});
