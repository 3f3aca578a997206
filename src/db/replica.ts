import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyRequest } from 'fastify';
import type { Clock } from '../clock.js';
import type { App } from '../context.js';
import type { Db, QueryOptions } from './adapter.js';

/**
 * Reads from a streaming replica (DATABASE_REPLICA_URL).
 *
 * Which reads: the statements outside a transaction run by the handlers of
 * READ_ROUTES below (lookups, searches, lists, record pages, reports). Every
 * transaction, every write, and everything else reads the primary. A statement
 * the replica refuses (a write in a GET handler, a recovery conflict) or cannot
 * run (connection lost) runs again on the primary.
 *
 * Read-your-writes: after a user's write request the process notes the
 * primary's WAL position (`pg_current_wal_lsn()`), keeps it for
 * READ_YOUR_WRITES_SECONDS in memory (by user) and in an `sb_lsn` cookie (so a
 * console's next request on another process knows it too); that user's reads
 * go to the primary until the replica has replayed past it.
 *
 * Health: every half second the router reads the primary's WAL position and the
 * replica's replay position. The replica is "lagging" when it has not replayed
 * what the primary had written REPLICA_MAX_LAG_SECONDS ago, "down" when it does
 * not answer (or is not in recovery); in both cases every read goes to the
 * primary and /healthz lists `replica` as degraded, until it catches up.
 */
const READ_ROUTES = new Set([
  '/api/v1/lookup',
  '/api/v1/customers',
  '/api/v1/customers/:id',
  '/api/v1/customers/:id/cases',
  '/api/v1/customers/:id/interactions',
  '/api/v1/customers/:id/history',
  '/api/v1/cases',
  '/api/v1/cases/:id',
  '/api/v1/cases/:id/history',
  '/api/v1/tasks',
  '/api/v1/tasks/:id',
  '/api/v1/interactions/:id',
  '/api/v1/audit',
  '/api/v1/users/directory',
]);

const LSN_COOKIE = 'sb_lsn';

interface ReadContext {
  minLsn: bigint | null;
}
const als = new AsyncLocalStorage<ReadContext>();

function parseLsn(text: string | null | undefined): bigint | null {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text ?? '');
  return m ? (BigInt(`0x${m[1]}`) << 32n) + BigInt(`0x${m[2]}`) : null;
}
function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

const FALLBACK_CODES = new Set(['25006', '40001', '57P01', '57P03', '08000', '08003', '08006']);

export type ReplicaState = 'starting' | 'ok' | 'lagging' | 'down';

export class ReplicaRouter {
  state: ReplicaState = 'starting';
  detail = 'not checked yet';
  private replayLsn = 0n;
  private samples: { at: number; lsn: bigint }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly writes = new Map<string, { lsn: bigint; until: number }>();
  /** Statements sent to each side (tests and metrics). */
  readonly reads = { replica: 0, primary: 0 };

  constructor(
    private readonly primary: Db,
    readonly replica: Db,
    private readonly clock: Clock,
    private readonly opts: { maxLagMs: number; readYourWritesMs: number; checkMs?: number },
  ) {}

  start(): void {
    if (this.timer) return;
    const tick = () => {
      this.timer = setTimeout(() => void this.check().finally(() => this.timer && tick()), this.opts.checkMs ?? 500);
      this.timer.unref();
    };
    void this.check();
    tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.replica.close();
  }

  /** Reads both positions once and updates the state. */
  async check(): Promise<void> {
    const now = this.clock.now().getTime();
    try {
      const [p] = await this.primary.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
      this.samples.push({ at: now, lsn: parseLsn(p.lsn) ?? 0n });
    } catch {
      return; // the primary's own health is /healthz's `database`
    }
    const horizon = now - this.opts.maxLagMs;
    // Keep the newest sample at least maxLag old and everything since.
    const firstDue = this.samples.findLastIndex((s) => s.at <= horizon);
    if (firstDue > 0) this.samples.splice(0, firstDue);
    try {
      const [r] = await this.replica.query<{ lsn: string | null; recovering: boolean }>(
        'SELECT pg_last_wal_replay_lsn()::text AS lsn, pg_is_in_recovery() AS recovering',
      );
      const replay = parseLsn(r.lsn);
      if (!r.recovering || replay === null) {
        this.state = 'down';
        this.detail = 'DATABASE_REPLICA_URL is not a standby in recovery';
        return;
      }
      this.replayLsn = replay;
      const due = this.samples.find((s) => s.at <= horizon);
      if (due && replay < due.lsn) {
        this.state = 'lagging';
        this.detail = `lagging more than ${Math.round(this.opts.maxLagMs / 1000)} s behind the primary; reading from the primary`;
      } else {
        this.state = 'ok';
        this.detail = '';
      }
    } catch (err) {
      this.state = 'down';
      this.detail = `unreachable (${(err as Error).message}); reading from the primary`;
    }
  }

  private useReplica(): boolean {
    const ctx = als.getStore();
    if (!ctx || this.state !== 'ok') return false;
    return ctx.minLsn === null || this.replayLsn >= ctx.minLsn;
  }

  /** The Db the app uses: `query` outside transactions may go to the replica; the rest is the primary's. */
  db(): Db {
    const primary = this.primary;
    return {
      ...primary,
      engine: primary.engine,
      query: async <T>(sql: string, params?: readonly unknown[], o?: QueryOptions): Promise<T[]> => {
        if (!this.useReplica()) {
          this.reads.primary++;
          return primary.query<T>(sql, params, o);
        }
        this.reads.replica++;
        try {
          return await this.replica.query<T>(sql, params, o);
        } catch (err) {
          const raw = (err as { code?: unknown }).code;
          // A SQLSTATE (five characters) is the replica's answer; anything else (ECONNREFUSED,
          // a connection that ended) means it could not answer.
          const code = typeof raw === 'string' && /^[0-9A-Z]{5}$/.test(raw) ? raw : undefined;
          if (code !== undefined && !FALLBACK_CODES.has(code)) throw err;
          if (code === undefined || code.startsWith('08') || code.startsWith('57')) {
            this.state = 'down';
            this.detail = `unreachable (${(err as Error).message}); reading from the primary`;
          }
          this.reads.primary++;
          return primary.query<T>(sql, params, o);
        }
      },
    };
  }

  private minLsnFor(request: FastifyRequest): bigint | null {
    let min: bigint | null = parseLsn(request.cookies?.[LSN_COOKIE]);
    const userId = request.actor?.userId;
    const mine = userId ? this.writes.get(userId) : undefined;
    if (mine) {
      if (mine.until < this.clock.now().getTime()) this.writes.delete(userId!);
      else if (min === null || mine.lsn > min) min = mine.lsn;
    }
    return min;
  }

  /** Wraps the read routes' handlers and notes each write's WAL position. Call before routes register. */
  register(app: App): void {
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      if (!methods.includes('GET') || !READ_ROUTES.has(route.url)) return;
      const handler = route.handler;
      const minLsnFor = (request: FastifyRequest) => this.minLsnFor(request);
      route.handler = function (this: unknown, request, reply) {
        return als.run({ minLsn: minLsnFor(request) }, () => handler.call(this as never, request, reply));
      } as typeof handler;
    });
    app.addHook('onSend', async (request, reply, payload) => {
      if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return payload;
      const userId = request.actor?.userId;
      if (!userId || reply.statusCode >= 400) return payload;
      try {
        const [p] = await this.primary.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
        const lsn = parseLsn(p.lsn);
        if (lsn === null) return payload;
        const ms = this.opts.readYourWritesMs;
        this.writes.set(userId, { lsn, until: this.clock.now().getTime() + ms });
        if (ms > 0) {
          reply.setCookie(LSN_COOKIE, formatLsn(lsn), {
            path: '/',
            httpOnly: true,
            sameSite: 'lax',
            maxAge: Math.ceil(ms / 1000),
          });
        }
      } catch {
        /* the write answered; its reads simply go where they may */
      }
      return payload;
    });
  }
}
