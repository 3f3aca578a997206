import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../db/adapter.js';

/** Random records for the reports' tests, written straight to the tables with chosen timestamps. */

export interface SeedCase {
  id: string;
  openedAt: Date;
  closedAt: Date | null;
  status: 'open' | 'closed';
  priority: string;
  severity: string;
  channel: string;
  ownerId: string | null;
  visibility: 'public' | 'private';
  reopens: Date[];
  followUps: { at: Date; author: 'user' | 'customer'; visibility: 'public' | 'internal' }[];
}

export interface SeedInteraction {
  id: string;
  startedAt: Date;
  channel: 'phone' | 'chat' | 'email';
  direction: 'inbound' | 'outbound';
  from: string | null;
  customerId: string | null;
  agentId: string | null;
  result: 'found' | 'not_found' | 'multiple';
  disposition: string | null;
}

export interface SeedTask {
  id: string;
  dueAt: Date | null;
  status: 'open' | 'done' | 'cancelled';
  completedAt: Date | null;
  assigneeId: string;
}

export interface SeedData {
  cases: SeedCase[];
  interactions: SeedInteraction[];
  tasks: SeedTask[];
}

/** A small deterministic PRNG (mulberry32): the same seed gives the same data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generate(
  rnd: () => number,
  opts: {
    start: Date;
    days: number;
    now: Date;
    users: string[];
    customers: string[];
    cases: number;
    interactions: number;
    tasks: number;
    /** Callers' numbers start with this (runs that must not see each other's callers use their own). */
    numberPrefix?: string;
  },
): SeedData {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const t0 = opts.start.getTime();
  const span = opts.days * 86_400_000;
  const at = () => new Date(t0 + Math.floor((rnd() * span) / 60_000) * 60_000);
  const later = (d: Date, maxHours: number) => {
    const t = new Date(d.getTime() + Math.floor(rnd() * maxHours * 60) * 60_000);
    return t.getTime() > opts.now.getTime() ? null : t;
  };
  const cases: SeedCase[] = [];
  for (let i = 0; i < opts.cases; i++) {
    const openedAt = at();
    const followUps: SeedCase['followUps'] = [];
    const nf = Math.floor(rnd() * 4);
    for (let j = 0; j < nf; j++) {
      const t = later(openedAt, 72);
      if (t)
        followUps.push({
          at: t,
          author: rnd() < 0.7 ? 'user' : 'customer',
          visibility: rnd() < 0.8 ? 'public' : 'internal',
        });
    }
    let closedAt = rnd() < 0.55 ? later(openedAt, 200) : null;
    const reopens: Date[] = [];
    if (closedAt && rnd() < 0.3) {
      const r = later(closedAt, 48);
      if (r) {
        reopens.push(r);
        closedAt = rnd() < 0.5 ? later(r, 48) : null;
      }
    }
    cases.push({
      id: randomUUID(),
      openedAt,
      closedAt,
      status: closedAt ? 'closed' : 'open',
      priority: pick(['low', 'normal', 'normal', 'high', 'urgent']),
      severity: pick(['minor', 'major', 'critical']),
      channel: pick(['phone', 'chat', 'email', 'web']),
      ownerId: rnd() < 0.2 ? null : pick(opts.users),
      visibility: rnd() < 0.15 ? 'private' : 'public',
      reopens,
      followUps,
    });
  }
  const numbers = Array.from(
    { length: 12 },
    (_, i) => `${opts.numberPrefix ?? '+1555010'}${String(i).padStart(4, '0')}`,
  );
  const interactions: SeedInteraction[] = [];
  for (let i = 0; i < opts.interactions; i++) {
    const result = pick(['found', 'found', 'not_found', 'multiple'] as const);
    interactions.push({
      id: randomUUID(),
      startedAt: at(),
      channel: pick(['phone', 'phone', 'chat', 'email'] as const),
      direction: rnd() < 0.75 ? 'inbound' : 'outbound',
      from: rnd() < 0.9 ? pick(numbers) : null,
      customerId: result === 'found' ? pick(opts.customers) : null,
      agentId: rnd() < 0.1 ? null : pick(opts.users),
      result,
      disposition: rnd() < 0.6 ? 'resolved' : null,
    });
  }
  const tasks: SeedTask[] = [];
  for (let i = 0; i < opts.tasks; i++) {
    const dueAt = rnd() < 0.1 ? null : at();
    const status = pick(['open', 'open', 'done', 'done', 'cancelled'] as const);
    const completedAt =
      status === 'open' ? null : new Date((dueAt ?? opts.start).getTime() + (rnd() - 0.5) * 86_400_000);
    tasks.push({ id: randomUUID(), dueAt, status, completedAt, assigneeId: pick(opts.users) });
  }
  return { cases, interactions, tasks };
}

/** Writes the data in one statement per table (cases go to `customerId`; the tables' defaults fill the rest). */
export async function insertSeed(q: Queryable, data: SeedData, customerId: string): Promise<void> {
  const json = (rows: unknown[]) => JSON.stringify(rows);
  await q.query(
    `INSERT INTO cases (id, customer_id, subject, status, is_open, priority, severity, visibility, owner_id, channel,
                        opened_at, closed_at, created_at, updated_at)
     SELECT id, $2, 'Seeded case', status, status = 'open', priority, severity, visibility, "ownerId", channel,
            "openedAt", "closedAt", "openedAt", "openedAt"
     FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, status text, priority text, severity text, visibility text,
          "ownerId" uuid, channel text, "openedAt" timestamptz, "closedAt" timestamptz)`,
    [json(data.cases), customerId],
  );
  await q.query(
    `INSERT INTO case_reopens (case_id, at) SELECT "caseId", at FROM jsonb_to_recordset($1::jsonb) AS x("caseId" uuid, at timestamptz)`,
    [json(data.cases.flatMap((c) => c.reopens.map((at) => ({ caseId: c.id, at }))))],
  );
  await q.query(
    `INSERT INTO case_follow_ups (case_id, kind, visibility, body, author_type, author_name, channel, created_at)
     SELECT "caseId", 'note', visibility, 'x', author, 'Seed', 'console', at
     FROM jsonb_to_recordset($1::jsonb) AS x("caseId" uuid, visibility text, author text, at timestamptz)`,
    [json(data.cases.flatMap((c) => c.followUps.map((f) => ({ caseId: c.id, ...f }))))],
  );
  await q.query(
    `INSERT INTO interactions (id, channel, direction, from_address, agent_id, customer_id, match_result, state,
                               started_at, disposition)
     SELECT id, channel, direction, "from", "agentId", "customerId", result, 'active', "startedAt", disposition
     FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, channel text, direction text, "from" text, "agentId" uuid,
          "customerId" uuid, result text, "startedAt" timestamptz, disposition text)`,
    [json(data.interactions)],
  );
  await q.query(
    `INSERT INTO tasks (id, type, subject, customer_id, assignee_id, due_at, status, completed_at)
     SELECT id, 'call', 'Seeded task', $2, "assigneeId", "dueAt", status, "completedAt"
     FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, "assigneeId" uuid, "dueAt" timestamptz, status text,
          "completedAt" timestamptz)`,
    [json(data.tasks), customerId],
  );
}
