import rateLimit from '@fastify/rate-limit';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { AppContext } from '../context.js';
import type { Db } from '../db/adapter.js';
import { TooManyRequests } from './errors.js';

/** Fixed windows of one minute: the budget is "requests per minute". */
const RATE_WINDOW_MS = 60_000;
/** How often each process adds its counts to the shared table (and learns the others'). */
const RATE_SYNC_MS = 1000;

interface Counter {
  window: number;
  /** The window's length (ms). */
  span: number;
  /** Counted here, not yet added to the shared table. */
  pending: number;
  /** Being added right now (a sync in flight). */
  flushing: number;
  /** The shared count as of the last sync (every process's requests, this one's included). */
  shared: number;
}

/**
 * A rate-limit store for @fastify/rate-limit shared by every server process
 * through PostgreSQL, without a database round trip per request: a request is
 * counted in memory and answered at once against (shared count + local
 * count); once a second each process adds its counts to `rate_limit_counters`
 * in one statement and reads back the totals. With N processes a key can
 * exceed its budget by what the others served in the last second, never more.
 * Windows are fixed minutes on the app's Clock.
 */
class SharedRateStore {
  private readonly counters = new Map<string, Counter>();
  private syncing: Promise<void> | null = null;
  private lastPrune = 0;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** The plugin's store interface: count one request, answer the count and the time left in the window. */
  incr(key: string, callback: (err: Error | null, res?: { current: number; ttl: number }) => void, timeWindow: number) {
    const now = this.clock.now().getTime();
    const window = Math.floor(now / timeWindow) * timeWindow;
    let c = this.counters.get(key);
    if (!c || c.window !== window) {
      if (this.counters.size > 50_000) this.sweep(now, timeWindow);
      c = { window, span: timeWindow, pending: 0, flushing: 0, shared: 0 };
      this.counters.set(key, c);
    }
    c.pending++;
    callback(null, { current: c.shared + c.flushing + c.pending, ttl: window + timeWindow - now });
  }

  /** The plugin asks for a store per route with its own options; one shared store serves them all. */
  child(): this {
    return this;
  }

  private sweep(now: number, timeWindow: number): void {
    for (const [key, c] of this.counters)
      if (c.window + timeWindow <= now && c.pending === 0) this.counters.delete(key);
  }

  /** Adds this process's counts to the shared table and learns the totals (tests call it directly). */
  sync(): Promise<void> {
    this.syncing ??= this.doSync().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  private async doSync(): Promise<void> {
    const batch: { key: string; c: Counter; window: number; n: number }[] = [];
    const at = this.clock.now().getTime();
    for (const [key, c] of this.counters) {
      // Keys of the current window are synced even with nothing to add: this process learns the others' counts.
      if (c.pending === 0 && c.window + c.span <= at) continue;
      batch.push({ key, c, window: c.window, n: c.pending });
      c.flushing += c.pending;
      c.pending = 0;
    }
    if (batch.length === 0) return;
    try {
      const rows = await this.db.query<{ key: string; window_start: number; count: number }>(
        `INSERT INTO rate_limit_counters AS r (key, window_start, count)
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::int[])
         ON CONFLICT (key, window_start) DO UPDATE SET count = r.count + EXCLUDED.count
         RETURNING key, window_start, count`,
        [batch.map((b) => b.key), batch.map((b) => b.window), batch.map((b) => b.n)],
      );
      const totals = new Map(rows.map((r) => [`${r.key}\u0000${r.window_start}`, r.count]));
      for (const b of batch) {
        b.c.flushing -= b.n;
        const total = totals.get(`${b.key}\u0000${b.window}`);
        if (total !== undefined && b.c.window === b.window) b.c.shared = Math.max(b.c.shared, total);
      }
    } catch (err) {
      // Counted again next time; meanwhile the local counts still limit this process.
      for (const b of batch) {
        b.c.flushing -= b.n;
        if (b.c.window === b.window) b.c.pending += b.n;
      }
      this.log.warn({ err }, 'could not share rate-limit counts');
      return;
    }
    const now = this.clock.now().getTime();
    if (now - this.lastPrune > 10 * RATE_WINDOW_MS) {
      this.lastPrune = now;
      await this.db.query('DELETE FROM rate_limit_counters WHERE window_start < $1', [now - 10 * RATE_WINDOW_MS]);
    }
  }
}

/** Whose budget a request spends: its API key, else its user, else its address. */
function budgetOf(request: FastifyRequest, config: Config): { key: string; max: number } {
  const actor = request.actor;
  if (actor?.apiKeyId) {
    const lookupOnly = !actor.scopes.includes('full') && actor.scopes.includes('lookup');
    return {
      key: `key:${actor.apiKeyId}`,
      max: lookupOnly ? config.rateLimit.lookupPerMinute : config.rateLimit.perMinute,
    };
  }
  if (actor?.userId) return { key: `user:${actor.userId}`, max: config.rateLimit.perMinute };
  return { key: `ip:${request.ip}`, max: config.rateLimit.perMinute };
}

/**
 * API rate limits (@fastify/rate-limit): per API key, per signed-in user, and
 * per address for what needs no credentials; lookup-only keys (an IVR) have
 * their own, higher budget. Over budget: 429 problem+json with Retry-After.
 * Counted after authentication (the preHandler hook), on /api routes only.
 */
export async function registerRateLimits(app: FastifyInstance, deps: AppContext): Promise<SharedRateStore> {
  const store = new SharedRateStore(deps.db, deps.clock, app.log);
  // The sync is a background job: every process shares its counts once a second (tests run it with jobs.runAll()).
  deps.jobs.every('rate-limit-sync', RATE_SYNC_MS, () => store.sync());
  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    timeWindow: RATE_WINDOW_MS,
    // `new Store()` answers the one shared instance.
    store: function SharedStore() {
      return store;
    } as unknown as never,
    keyGenerator: (request) => budgetOf(request, deps.config).key,
    max: (request) => budgetOf(request, deps.config).max,
    allowList: (request) =>
      !(request.url.startsWith('/api/v1/') || request.url.startsWith('/api/portal/')) ||
      budgetOf(request, deps.config).max === 0,
    errorResponseBuilder: (_request, context) => {
      const seconds = Math.max(1, Math.ceil(context.ttl / 1000));
      return new TooManyRequests(
        seconds,
        `Rate limit: more than ${context.max} requests a minute; try again in ${seconds} seconds`,
      );
    },
  });
  return store;
}
