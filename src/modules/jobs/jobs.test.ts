import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import type { Queryable } from '../../db/adapter.js';
import { startTestApp, type TestApp } from '../../../test/helpers.js';
import { JobQueue, type JobHandler, type JobOutcome } from './queue.js';

/**
 * The durable job queue: enqueue in the caller's transaction, steps that commit
 * their work with their checkpoint, a dead process's job taken over after its
 * lease and resumed where it stopped, cancel between steps, release on
 * graceful shutdown, retries. Two JobQueue instances on one database stand for
 * two server processes; a ManualClock moves time.
 */
interface Params {
  items: number;
}
interface Checkpoint {
  next: number;
}

/** A latch a handler waits on, so a test can hold a "process" between two steps. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  let reached!: () => void;
  const arrived = new Promise<void>((r) => (reached = r));
  return { opened, open, arrived, reached };
}

describe('job queue', () => {
  let t: TestApp;
  const clock = new ManualClock('2030-01-01T00:00:00Z');
  const finished: { id: string; outcome: JobOutcome }[] = [];
  const LEASE = 10_000;
  const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined };

  /** Writes items in steps of 3; `pauseAfter` holds the run after that many steps until the gate opens. */
  function counter(opts: { pauseAfter?: number; g?: ReturnType<typeof gate>; failFirst?: boolean } = {}) {
    let failed = false;
    const handler: JobHandler<Params, Checkpoint> = {
      maxAttempts: 3,
      async run(run) {
        if (opts.failFirst && !failed) {
          failed = true;
          throw new Error('flaky');
        }
        let next = run.job.checkpoint?.next ?? 0;
        let steps = 0;
        while (next < run.job.params.items) {
          if (opts.pauseAfter !== undefined && steps === opts.pauseAfter && opts.g) {
            opts.g.reached();
            await opts.g.opened;
          }
          const from = next;
          const to = Math.min(from + 3, run.job.params.items);
          await run.step(async (tx) => {
            await tx.query(
              'INSERT INTO job_test_items (job_id, item) SELECT $1, g FROM generate_series($2::int, $3::int - 1) g',
              [run.job.id, from, to],
            );
            return { record: { checkpoint: { next: to }, done: to }, value: undefined };
          });
          next = to;
          steps++;
        }
        return { items: next };
      },
      async onFinish(_tx, job, outcome) {
        finished.push({ id: job.id, outcome });
      },
    };
    return handler;
  }

  /** A "process": its own queue on the shared database. */
  function processWith(handler: JobHandler<Params, Checkpoint>, heartbeatMs = 0) {
    const q = new JobQueue(t.db, clock, { leaseMs: LEASE, concurrency: 2, heartbeatMs, log: quiet });
    q.registerJobKind('test.count', handler);
    return q;
  }

  const items = async (jobId: string) =>
    (
      await t.db.query<{ item: number }>('SELECT item FROM job_test_items WHERE job_id = $1 ORDER BY item', [jobId])
    ).map((r) => r.item);

  beforeAll(async () => {
    t = await startTestApp();
    await t.db.exec(`CREATE TABLE job_test_items (job_id uuid, item int, PRIMARY KEY (job_id, item))`);
  });
  afterAll(async () => t?.close());

  it('enqueues in the caller’s transaction and runs to the end, step by step', async () => {
    const q = processWith(counter());
    await expect(
      t.db.transaction(async (tx: Queryable) => {
        await q.enqueue({ kind: 'test.count', params: { items: 5 }, ownerId: t.admin.userId }, tx);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await t.db.query(`SELECT 1 FROM jobs WHERE kind = 'test.count'`)).toHaveLength(0);

    const job = await q.enqueue({ kind: 'test.count', params: { items: 10 }, ownerId: t.admin.userId, total: 10 });
    await q.runUntilIdle();
    const done = await q.find(job.id);
    expect(done).toMatchObject({
      status: 'succeeded',
      checkpoint: { next: 10 },
      progress: { done: 10, total: 10 },
      result: { items: 10 },
      attempts: 1,
    });
    expect(done!.finishedAt?.toISOString()).toBe(clock.now().toISOString());
    expect(await items(job.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(finished.find((f) => f.id === job.id)?.outcome).toEqual({ status: 'succeeded', result: { items: 10 } });
  });

  it('a dead process’s job is taken over after its lease and resumes from its checkpoint, each item once', async () => {
    const g = gate();
    const dying = processWith(counter({ pauseAfter: 2, g }));
    const survivor = processWith(counter());
    const job = await dying.enqueue({ kind: 'test.count', params: { items: 20 }, ownerId: null });
    const run = dying.runUntilIdle();
    await g.arrived; // two steps committed, then the "process" stops answering (no heartbeat)
    expect(await items(job.id)).toEqual([0, 1, 2, 3, 4, 5]);

    await survivor.runUntilIdle();
    expect((await survivor.find(job.id))!.status).toBe('running'); // the lease still holds
    clock.advance(LEASE + 1);
    await survivor.runUntilIdle();
    expect(await survivor.find(job.id)).toMatchObject({ status: 'succeeded', attempts: 2, checkpoint: { next: 20 } });

    g.open(); // the old process wakes up: its next step finds the lease gone and writes nothing
    await run;
    expect(await items(job.id)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect((await survivor.find(job.id))!.status).toBe('succeeded');
  });

  it('cancel: a queued job at once, a running one before its next step', async () => {
    const q = processWith(counter());
    const queued = await q.enqueue({ kind: 'test.count', params: { items: 3 }, ownerId: t.admin.userId });
    const res = await t.admin.post(`/api/v1/jobs/${queued.id}/cancel`);
    // The app's own queue has no handler for this kind: the route still cancels it.
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'cancelled', cancelRequested: true });

    const g = gate();
    const running = processWith(counter({ pauseAfter: 1, g }));
    const job = await running.enqueue({ kind: 'test.count', params: { items: 30 }, ownerId: t.admin.userId });
    const run = running.runUntilIdle();
    await g.arrived;
    const asked = await running.cancel(adminActor(), job.id);
    expect(asked).toMatchObject({ status: 'running', cancelRequested: true });
    g.open();
    await run;
    expect(await running.find(job.id)).toMatchObject({ status: 'cancelled', checkpoint: { next: 3 } });
    expect(await items(job.id)).toEqual([0, 1, 2]);
    expect(finished.find((f) => f.id === job.id)?.outcome).toEqual({ status: 'cancelled', by: t.admin.userId });
  });

  it('graceful shutdown gives a running job back to the queue without using up a claim', async () => {
    const g = gate();
    const stopping = processWith(counter({ pauseAfter: 1, g }), 1000);
    const next = processWith(counter());
    const job = await stopping.enqueue({ kind: 'test.count', params: { items: 9 }, ownerId: null });
    const run = stopping.runUntilIdle();
    await g.arrived;
    const shut = stopping.shutdown();
    g.open();
    await shut;
    await run;
    expect(await stopping.find(job.id)).toMatchObject({ status: 'queued', attempts: 0, checkpoint: { next: 3 } });
    await next.runUntilIdle();
    expect(await next.find(job.id)).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(await items(job.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('a failing run is retried after a back-off, and given up after its attempts', async () => {
    const q = processWith(counter({ failFirst: true }));
    const job = await q.enqueue({ kind: 'test.count', params: { items: 2 }, ownerId: null });
    await q.runUntilIdle();
    expect(await q.find(job.id)).toMatchObject({ status: 'queued', error: 'flaky', attempts: 1 });
    await q.runUntilIdle(); // not due yet
    expect((await q.find(job.id))!.status).toBe('queued');
    clock.advance(2000);
    await q.runUntilIdle();
    expect(await q.find(job.id)).toMatchObject({ status: 'succeeded', attempts: 2 });

    const broken = new JobQueue(t.db, clock, { leaseMs: LEASE, concurrency: 1, heartbeatMs: 0, log: quiet });
    broken.registerJobKind<Params, Checkpoint>('test.broken', {
      maxAttempts: 1,
      run: async () => {
        throw new Error('always');
      },
      onFinish: async (_tx, j, outcome) => void finished.push({ id: j.id, outcome }),
    });
    const doomed = await broken.enqueue({ kind: 'test.broken', params: { items: 1 }, ownerId: null });
    await broken.runUntilIdle();
    expect(await broken.find(doomed.id)).toMatchObject({ status: 'failed', error: 'always' });
    expect(finished.find((f) => f.id === doomed.id)?.outcome).toEqual({ status: 'failed', error: 'always' });
  });

  it('GET /jobs: the owner’s own, an administrator’s all; others see nothing', async () => {
    const agent = await t.user('agent');
    const q = processWith(counter());
    const mine = await q.enqueue({ kind: 'test.count', params: { items: 1 }, ownerId: agent.userId });
    const own = await agent.get('/api/v1/jobs');
    expect(own.statusCode).toBe(200);
    expect(own.json().items.map((j: { id: string }) => j.id)).toEqual([mine.id]);
    expect((await agent.get(`/api/v1/jobs/${mine.id}`)).json()).toMatchObject({
      kind: 'test.count',
      status: 'queued',
      progress: { done: 0, total: null },
    });
    const other = await t.user('agent');
    expect((await other.get(`/api/v1/jobs/${mine.id}`)).statusCode).toBe(404);
    expect((await other.post(`/api/v1/jobs/${mine.id}/cancel`)).statusCode).toBe(404);
    expect((await other.get('/api/v1/jobs?all=true')).json().items).toEqual([]);
    const all = await t.admin.get('/api/v1/jobs?all=true&kind=test.count&limit=2');
    expect(all.json().items).toHaveLength(2);
    const page2 = await t.admin.get(`/api/v1/jobs?all=true&kind=test.count&limit=2&cursor=${all.json().nextCursor}`);
    expect(page2.json().items.length).toBeGreaterThan(0);
    expect(page2.json().items[0].id).not.toBe(all.json().items[1].id);
  });

  function adminActor() {
    return {
      kind: 'user' as const,
      userId: t.admin.userId,
      name: 'Admin',
      role: 'admin' as const,
      privileges: new Set(['admin' as const]),
      channel: 'api' as const,
      scopes: ['full'],
    };
  }
});
