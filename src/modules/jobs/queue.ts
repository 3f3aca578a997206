import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../../clock.js';
import { inTransaction, type Db, type Queryable } from '../../db/adapter.js';
import { type Actor, can } from '../../http/actor.js';
import { NotFound } from '../../http/errors.js';
import { isUuid } from '../../http/ids.js';
import { decodeCursor, keysetPage, type Page } from '../../http/pagination.js';
import type { Privilege } from '../../http/privileges.js';
import {
  cancelQueued,
  claimJob,
  endRun,
  FINISHED,
  getJobRow,
  insertJob,
  listJobRows,
  lockLeased,
  recordProgress,
  renewLease,
  requestCancel,
  requeueAllRunning,
  type JobRow,
  type JobStatus,
  type ProgressUpdate,
} from './store.js';

export type { JobStatus } from './store.js';

/** A job as handlers and services see it. */
export interface Job<P = Record<string, unknown>, C = unknown> {
  id: string;
  kind: string;
  status: JobStatus;
  ownerId: string | null;
  params: P;
  /** Where the last committed step left off (null before the first). */
  checkpoint: C | null;
  progress: { done: number; total: number | null; details: Record<string, unknown> };
  result: Record<string, unknown> | null;
  error: string | null;
  cancelRequested: boolean;
  attempts: number;
  maxAttempts: number;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
}

function toJob<P, C>(r: JobRow): Job<P, C> {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    ownerId: r.owner_id,
    params: r.params as P,
    checkpoint: (r.checkpoint ?? null) as C | null,
    progress: { done: r.progress_done, total: r.progress_total, details: r.progress },
    result: r.result,
    error: r.error,
    cancelRequested: r.cancel_requested_at !== null,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    updatedAt: r.updated_at,
  };
}

/** What one step records with the work it committed. */
interface StepRecord<C> extends Omit<ProgressUpdate, 'checkpoint'> {
  checkpoint: C;
}

/** A handler's view of the job it runs. */
interface JobRun<P, C> {
  readonly job: Job<P, C>;
  /** Aborted when the process shuts down or the lease is lost: stop at the next step. */
  readonly signal: AbortSignal;
  /**
   * One durable step: `fn` runs in a transaction that first checks that this
   * process still holds the job and that nobody cancelled it, then stores the
   * checkpoint and progress `fn` returns. The work and the checkpoint commit
   * together, so a process killed at any moment leaves the job at the end of
   * its last committed step. Deadlocks and serialization failures are retried.
   * Throws JobCancelled / JobStopped (let them propagate).
   */
  step<T>(fn: (tx: Queryable) => Promise<{ record: StepRecord<C>; value: T }>): Promise<T>;
  /** Progress without a checkpoint (e.g. while skipping to the checkpoint on resume). */
  progress(p: Omit<ProgressUpdate, 'checkpoint'>): Promise<void>;
}

export type JobOutcome =
  | { status: 'succeeded'; result: Record<string, unknown> | null }
  | { status: 'failed'; error: string }
  | { status: 'cancelled'; by: string | null };

export interface JobHandler<P = Record<string, unknown>, C = unknown> {
  /** Runs the job, or resumes it from `run.job.checkpoint`. Its return value is stored as the result. */
  run(run: JobRun<P, C>): Promise<Record<string, unknown> | void>;
  /** In the transaction that finishes the job (succeeded, failed or cancelled): the kind's own bookkeeping. */
  onFinish?(tx: Queryable, job: Job<P, C>, outcome: JobOutcome): Promise<void>;
  /** In the transaction of a cancel request (queued or running job): e.g. the kind's audit line, with the actor. */
  onCancelRequest?(tx: Queryable, actor: Actor, job: Job<P, C>): Promise<void>;
  /** Claims before the job is given up as failed (default 5). */
  maxAttempts?: number;
  /** Besides the owner (and administrators): who may see and cancel every job of this kind. */
  managePrivilege?: Privilege;
}

/** The job was cancelled: the step did not run. */
class JobCancelled extends Error {
  constructor() {
    super('job cancelled');
  }
}

/** This process no longer runs the job (shutting down, or its lease passed to another process). */
class JobStopped extends Error {
  constructor(readonly reason: 'shutdown' | 'lease-lost') {
    super(`job stopped: ${reason}`);
  }
}

interface JobQueueOptions {
  /** How long a claim lasts without a heartbeat; a dead process's job is taken over after it. */
  leaseMs: number;
  /** Jobs one process runs at a time. */
  concurrency: number;
  /** Heartbeat period (default leaseMs / 3; 0 disables it, for tests that simulate a dead process). */
  heartbeatMs?: number;
  /** The database belongs to this process alone (embedded PGlite): running jobs at start are orphans. */
  exclusiveDatabase?: boolean;
  /** Where failures are logged until start() hands over the server's logger (default: the console). */
  log?: JobLog;
}

type JobLog = Pick<FastifyBaseLogger, 'error' | 'warn' | 'info'>;

interface EnqueueInput<P> {
  kind: string;
  params: P;
  ownerId: string | null;
  /** Expected amount of work, when known (shown as progress total). */
  total?: number | null;
  runAfter?: Date;
}

const RETRYABLE = new Set(['40001', '40P01']);
const MAX_STEP_RETRIES = 5;

/**
 * The durable job queue. Other modules register their kinds
 * (`registerJobKind`) and enqueue in their own transaction; every server
 * process claims due jobs with FOR UPDATE SKIP LOCKED and runs them under a
 * lease it renews. Details: docs/ARCHITECTURE.md, "Background jobs".
 */
export class JobQueue {
  private readonly handlers = new Map<string, JobHandler<never, never>>();
  private readonly running = new Map<string, { promise: Promise<void>; abort: AbortController }>();
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private log: JobLog;
  private started = false;
  private stopping = false;
  private polling: Promise<void> | null = null;
  private pollAgain = false;
  private timer: NodeJS.Timeout | null = null;
  private unlisten: (() => Promise<void>) | null = null;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly opts: JobQueueOptions,
  ) {
    this.log = opts.log ?? console;
  }

  /** Registers the handler of a kind (once per kind, at start, in every process). */
  registerJobKind<P, C>(kind: string, handler: JobHandler<P, C>): void {
    if (!/^[a-z][a-z0-9_.-]{0,63}$/.test(kind)) throw new Error(`bad job kind ${kind}`);
    if (this.handlers.has(kind)) throw new Error(`job kind ${kind} is already registered`);
    this.handlers.set(kind, handler as unknown as JobHandler<never, never>);
  }

  private handlerOf(kind: string): JobHandler<unknown, unknown> | undefined {
    return this.handlers.get(kind) as JobHandler<unknown, unknown> | undefined;
  }

  /** Adds a job in the caller's transaction: it exists (and runs) only if that transaction commits. */
  async enqueue<P extends object>(input: EnqueueInput<P>, tx?: Queryable): Promise<Job<P>> {
    const handler = this.handlerOf(input.kind);
    if (!handler) throw new Error(`unknown job kind ${input.kind}`);
    const now = this.clock.now();
    const row = await inTransaction(this.db, tx, (q) =>
      insertJob(q, {
        kind: input.kind,
        ownerId: input.ownerId,
        params: input.params as Record<string, unknown>,
        total: input.total ?? null,
        maxAttempts: handler.maxAttempts ?? 5,
        runAfter: input.runAfter ?? now,
        now,
      }),
    );
    return toJob<P, unknown>(row);
  }

  // ------------------------------------------------------------ reading

  private mayManage(actor: Actor, r: { kind: string; owner_id: string | null }): boolean {
    if (r.owner_id !== null && r.owner_id === actor.userId) return true;
    if (can(actor, 'admin')) return true;
    const p = this.handlerOf(r.kind)?.managePrivilege;
    return p !== undefined && can(actor, p);
  }

  /** A job its owner, an administrator or a holder of the kind's privilege may see; else 404. */
  async get(actor: Actor, id: string, tx?: Queryable): Promise<Job> {
    const row = isUuid(id) ? await getJobRow(tx ?? this.db, id) : null;
    if (!row || !this.mayManage(actor, row)) throw new NotFound('Job');
    return toJob(row);
  }

  /** For the kind's own module (no access check: the module checked). */
  async find(id: string, tx?: Queryable): Promise<Job | null> {
    const row = isUuid(id) ? await getJobRow(tx ?? this.db, id) : null;
    return row ? toJob(row) : null;
  }

  /**
   * Jobs newest first: the actor's own ("My jobs", "My downloads"), or with
   * `all` every job the actor may manage (administrators, or holders of a
   * kind's privilege for that kind).
   */
  async list(
    actor: Actor,
    query: { kind?: string; status?: JobStatus; all?: boolean; limit: number; cursor?: string },
  ): Promise<Page<Job>> {
    let kinds: string[] | undefined = query.kind ? [query.kind] : undefined;
    let ownerId: string | null | undefined = actor.userId;
    if (query.all) {
      if (can(actor, 'admin')) ownerId = undefined;
      else {
        const managed = [...this.handlers.entries()]
          .filter(([, h]) => h.managePrivilege && can(actor, h.managePrivilege))
          .map(([k]) => k);
        kinds = kinds ? kinds.filter((k) => managed.includes(k)) : managed;
        ownerId = undefined;
      }
    } else if (actor.userId === null) {
      return { items: [], nextCursor: null };
    }
    if (kinds && kinds.length === 0) return { items: [], nextCursor: null };
    let after: [Date, string] | undefined;
    if (query.cursor) {
      const [at, id] = decodeCursor(query.cursor, ['date', 'string']) as [string, string];
      after = [new Date(at), id];
    }
    const rows = await listJobRows(this.db, { kinds, ownerId, status: query.status, after, limit: query.limit + 1 });
    return keysetPage(
      rows,
      query.limit,
      (last) => [last.created_at.toISOString(), last.id],
      (r) => toJob(r),
    );
  }

  /**
   * Set by services.ts to the work notices flow (src/flows/work-notices.ts):
   * called for every job of any kind that finishes (succeeded, failed or
   * cancelled), after its kind's onFinish, in the same transaction.
   */
  onFinished: ((job: Job, outcome: JobOutcome, tx: Queryable) => Promise<void>) | null = null;

  // ------------------------------------------------------------ cancelling

  /**
   * Cancels a job: a queued one at once (its kind's onFinish runs in this
   * transaction); a running one stops before its next step, in the process
   * running it. A finished job is answered as it is.
   */
  async cancel(actor: Actor, id: string, tx?: Queryable): Promise<Job> {
    return inTransaction(this.db, tx, async (q) => {
      const row = isUuid(id) ? await getJobRow(q, id) : null;
      if (!row || !this.mayManage(actor, row)) throw new NotFound('Job');
      if (FINISHED.includes(row.status)) return toJob(row);
      const now = this.clock.now();
      if (row.cancel_requested_at === null) await this.handlerOf(row.kind)?.onCancelRequest?.(q, actor, toJob(row));
      const cancelled = await cancelQueued(q, id, actor.userId, now);
      if (cancelled) {
        const outcome: JobOutcome = { status: 'cancelled', by: actor.userId };
        await this.handlerOf(cancelled.kind)?.onFinish?.(q, toJob(cancelled), outcome);
        await this.onFinished?.(toJob(cancelled), outcome, q);
        return toJob(cancelled);
      }
      const asked = await requestCancel(q, id, actor.userId, now);
      if (asked) return toJob(asked);
      // It finished or was released in between: answer what it is now.
      return toJob((await getJobRow(q, id))!);
    });
  }

  // ------------------------------------------------------------ running

  /** Starts claiming: on a timer, and at once when a job is enqueued anywhere (NOTIFY). */
  async start(log?: JobLog, pollMs = 1000): Promise<void> {
    if (this.started) return;
    if (log) this.log = log;
    this.started = true;
    this.stopping = false;
    if (this.opts.exclusiveDatabase) await this.requeueOrphans();
    this.unlisten = await this.db.listen('sb_jobs', () => void this.poll());
    const tick = () => {
      this.timer = setTimeout(() => {
        void this.poll().finally(() => {
          if (this.started) tick();
        });
      }, pollMs);
      this.timer.unref();
    };
    tick();
    void this.poll();
  }

  /**
   * Embedded database only (one process can open it): jobs left running by a
   * process that is gone are queued again at once, without waiting for their lease.
   */
  async requeueOrphans(): Promise<number> {
    const n = await requeueAllRunning(this.db, this.clock.now());
    if (n > 0) this.log.info({ jobs: n }, 'jobs of a stopped process queued again');
    return n;
  }

  /**
   * Graceful shutdown (the server's close calls it): stops claiming, asks every
   * running job to stop after its current step, and gives those jobs back to the
   * queue (without using up a claim) so another process takes them over at once.
   */
  async shutdown(): Promise<void> {
    this.started = false;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.unlisten?.().catch(() => undefined);
    this.unlisten = null;
    for (const r of this.running.values()) r.abort.abort(new JobStopped('shutdown'));
    await Promise.allSettled([...this.running.values()].map((r) => r.promise));
    await this.polling;
  }

  /** Claims and starts due jobs up to the concurrency limit. */
  poll(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    if (this.polling) {
      this.pollAgain = true;
      return this.polling;
    }
    this.polling = (async () => {
      try {
        do {
          this.pollAgain = false;
          while (!this.stopping && this.running.size < this.opts.concurrency) {
            const row = await this.claim();
            if (!row) break;
            this.launch(row);
          }
        } while (this.pollAgain && !this.stopping);
      } catch (err) {
        this.log.error({ err }, 'claiming jobs failed');
      } finally {
        this.polling = null;
      }
    })();
    return this.polling;
  }

  /** Runs due jobs until none is left (tests and the command line, instead of waiting for the timer). */
  async runUntilIdle(): Promise<void> {
    for (;;) {
      await this.poll();
      if (this.running.size === 0) return;
      await Promise.allSettled([...this.running.values()].map((r) => r.promise));
    }
  }

  /** Jobs this process is running now. */
  get active(): string[] {
    return [...this.running.keys()];
  }

  private async claim(): Promise<JobRow | null> {
    const kinds = [...this.handlers.keys()];
    if (kinds.length === 0) return null;
    const now = this.clock.now();
    return this.db.transaction((tx) =>
      claimJob(tx, kinds, { token: randomUUID(), owner: this.owner, expiresAt: this.leaseEnd() }, now),
    );
  }

  private leaseEnd(): Date {
    return new Date(this.clock.now().getTime() + this.opts.leaseMs);
  }

  private launch(row: JobRow): void {
    const abort = new AbortController();
    const promise = this.execute(row, abort)
      .catch((err) => this.log.error({ err, job: row.id }, 'job run could not be recorded'))
      .finally(() => {
        this.running.delete(row.id);
        if (this.started && !this.stopping) void this.poll();
      });
    this.running.set(row.id, { promise, abort });
  }

  private async execute(row: JobRow, abort: AbortController): Promise<void> {
    const handler = this.handlerOf(row.kind)!;
    const token = row.lease_token!;
    const job = toJob<unknown, unknown>(row);
    const finish = async (end: Parameters<typeof endRun>[3], outcome: JobOutcome | null) => {
      await this.db.transaction(async (tx) => {
        const after = await endRun(tx, row.id, token, end, this.clock.now());
        if (!after || !outcome) return;
        const told = outcome.status === 'cancelled' ? { ...outcome, by: after.cancel_requested_by } : outcome;
        await handler.onFinish?.(tx, toJob(after), told);
        await this.onFinished?.(toJob(after), told, tx);
      });
    };

    if (row.cancel_requested_at) return finish({ status: 'cancelled' }, { status: 'cancelled', by: null });
    if (row.attempts > row.max_attempts) {
      const error = `stopped ${row.max_attempts} times without finishing`;
      return finish({ status: 'failed', error }, { status: 'failed', error });
    }

    const heartbeatMs = this.opts.heartbeatMs ?? Math.max(50, Math.floor(this.opts.leaseMs / 3));
    const heartbeat =
      heartbeatMs > 0
        ? setInterval(() => {
            renewLease(this.db, row.id, token, this.leaseEnd())
              .then((held) => {
                if (!held) abort.abort(new JobStopped('lease-lost'));
              })
              .catch((err) => this.log.warn({ err, job: row.id }, 'job heartbeat failed'));
          }, heartbeatMs)
        : null;
    heartbeat?.unref();

    const run: JobRun<unknown, unknown> = {
      job,
      signal: abort.signal,
      step: (fn) => this.step(row.id, token, abort, fn),
      progress: async (p) => {
        const held = await recordProgress(this.db, row.id, token, p, this.leaseEnd(), this.clock.now());
        if (!held) throw new JobStopped('lease-lost');
      },
    };
    try {
      const result = await handler.run(run);
      await finish({ status: 'succeeded', result: result ?? null }, { status: 'succeeded', result: result ?? null });
    } catch (err) {
      if (err instanceof JobCancelled) {
        await finish({ status: 'cancelled' }, { status: 'cancelled', by: null });
      } else if (err instanceof JobStopped) {
        // Shutdown: back to the queue for another process. Lease lost: another process has it already.
        if (err.reason === 'shutdown') await finish({ status: 'queued', refundAttempt: true }, null);
      } else {
        const error = err instanceof Error ? err.message : String(err);
        this.log.error({ err, job: row.id, kind: row.kind }, 'job failed');
        if (row.attempts < row.max_attempts) {
          const backoffMs = Math.min(300_000, 1000 * 2 ** row.attempts);
          await finish({ status: 'queued', error, runAfter: new Date(this.clock.now().getTime() + backoffMs) }, null);
        } else {
          await finish({ status: 'failed', error }, { status: 'failed', error });
        }
      }
    } finally {
      if (heartbeat) clearInterval(heartbeat);
    }
  }

  private async step<T>(
    id: string,
    token: string,
    abort: AbortController,
    fn: (tx: Queryable) => Promise<{ record: StepRecord<unknown>; value: T }>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (abort.signal.aborted) throw abort.signal.reason ?? new JobStopped('shutdown');
      try {
        return await this.db.transaction(async (tx) => {
          const locked = await lockLeased(tx, id, token);
          if (!locked) throw new JobStopped('lease-lost');
          if (locked.cancel_requested_at) throw new JobCancelled();
          const { record, value } = await fn(tx);
          await recordProgress(tx, id, token, record, this.leaseEnd(), this.clock.now());
          return value;
        });
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code && RETRYABLE.has(code) && attempt < MAX_STEP_RETRIES) continue;
        if (err instanceof JobStopped && err.reason === 'lease-lost') abort.abort(err);
        throw err;
      }
    }
  }
}
