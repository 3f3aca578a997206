import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { timingSafeEqual } from 'node:crypto';
import type { App, AppContext } from '../context.js';
import type { Db } from '../db/adapter.js';
import type { EventHub } from '../events/hub.js';

/**
 * Prometheus metrics (prom-client: the de-facto Node client, maintained by the
 * Prometheus community's siblings, no native parts). One registry per app, so
 * tests that build several apps in one process never share counters.
 *
 * Cheap counters are updated per request; everything read from the database
 * (job queue depth and age, due reminders, mail outbox, event lag) is queried
 * only when /metrics is scraped, in one round trip.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status_class'>;
  readonly httpRequests: Counter<'method' | 'route' | 'status_class'>;
  readonly statementTimeouts: Counter<string>;
  /** The scrape's one backlog query, shared by the gauges that report it. */
  private backlog: Promise<Backlog> | null = null;

  constructor(db: Db, hub: EventHub, extra: { replicaState?: () => number } = {}) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'switchboard_' });
    this.httpDuration = new Histogram({
      name: 'switchboard_http_request_duration_seconds',
      help: 'HTTP request latency by route template and status class',
      labelNames: ['method', 'route', 'status_class'],
      buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
      registers,
    });
    this.httpRequests = new Counter({
      name: 'switchboard_http_requests_total',
      help: 'HTTP requests by route template and status class',
      labelNames: ['method', 'route', 'status_class'],
      registers,
    });
    this.statementTimeouts = new Counter({
      name: 'switchboard_db_statement_timeouts_total',
      help: 'Requests that failed because a statement ran past STATEMENT_TIMEOUT_MS',
      registers,
    });
    const pool = (field: 'total' | 'idle' | 'waiting') => () => db.poolStats?.()[field] ?? 0;
    new Gauge({
      name: 'switchboard_db_pool_connections',
      help: 'Database pool connections open (PostgreSQL; 1 on the embedded database)',
      registers,
      collect() {
        this.set(db.poolStats ? pool('total')() : 1);
      },
    });
    new Gauge({
      name: 'switchboard_db_pool_in_use',
      help: 'Database pool connections checked out',
      registers,
      collect() {
        this.set(db.poolStats ? pool('total')() - pool('idle')() : 0);
      },
    });
    new Gauge({
      name: 'switchboard_db_pool_waiting',
      help: 'Queries waiting for a free pool connection',
      registers,
      collect() {
        this.set(pool('waiting')());
      },
    });
    new Gauge({
      name: 'switchboard_event_stream_clients',
      help: 'Open event streams (SSE) on this process',
      registers,
      collect() {
        this.set(hub.connectedClients);
      },
    });
    if (extra.replicaState) {
      const state = extra.replicaState;
      new Gauge({
        name: 'switchboard_db_replica_in_use',
        help: '1 while reads go to the replica, 0 while they fall back to the primary',
        registers,
        collect() {
          this.set(state());
        },
      });
    }

    // Backlog gauges: one query per scrape, shared by the gauges below.
    const readBacklog = () => (this.backlog ??= queryBacklog(db, hub));
    new Gauge({
      name: 'switchboard_queue_depth',
      help: 'Background work waiting or running, by queue (job kinds, reminders, mail) and status',
      labelNames: ['queue', 'status'],
      registers,
      async collect() {
        this.reset();
        for (const q of (await readBacklog()).queues) this.set({ queue: q.queue, status: q.status }, q.n);
      },
    });
    new Gauge({
      name: 'switchboard_queue_oldest_age_seconds',
      help: 'Age of the oldest item waiting or running, by queue and status',
      labelNames: ['queue', 'status'],
      registers,
      async collect() {
        this.reset();
        for (const q of (await readBacklog()).queues) this.set({ queue: q.queue, status: q.status }, q.age);
      },
    });
    new Gauge({
      name: 'switchboard_outbox_lag_events',
      help: 'Events committed that this process has not yet fanned out to its streams',
      registers,
      async collect() {
        this.set((await readBacklog()).lagEvents);
      },
    });
    new Gauge({
      name: 'switchboard_outbox_lag_seconds',
      help: 'Age of the oldest event committed but not yet fanned out by this process (0 when caught up)',
      registers,
      async collect() {
        this.set((await readBacklog()).lagSeconds);
      },
    });
  }

  /** Hooks the per-request counters and GET /metrics (404 unless METRICS_TOKEN is set). */
  register(app: App, ctx: AppContext): void {
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      if (route === '/metrics') return;
      const labels = {
        method: request.method,
        route,
        status_class: `${Math.floor(reply.statusCode / 100)}xx`,
      };
      this.httpRequests.inc(labels);
      this.httpDuration.observe(labels, reply.elapsedTime / 1000);
    });
    app.addHook('onError', async (_request, _reply, err) => {
      if ((err as { code?: unknown }).code === '57014') this.statementTimeouts.inc();
    });
    const token = ctx.config.metricsToken;
    app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
      if (!token) return reply.callNotFound();
      const m = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
      if (!m || !sameSecret(m[1], token)) {
        return reply.status(401).header('www-authenticate', 'Bearer').type('application/problem+json').send({
          type: 'about:blank',
          title: 'Unauthorized',
          status: 401,
          detail: 'Send Authorization: Bearer <METRICS_TOKEN>',
        });
      }
      this.backlog = null;
      const body = await this.registry.metrics().finally(() => (this.backlog = null));
      return reply.type(this.registry.contentType).send(body);
    });
  }
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

interface Backlog {
  queues: { queue: string; status: string; n: number; age: number }[];
  lagEvents: number;
  lagSeconds: number;
}

async function queryBacklog(db: Db, hub: EventHub): Promise<Backlog> {
  const queues = await db.query<{ queue: string; status: string; n: number; age: number | null }>(
    `SELECT 'job:' || kind AS queue, status, count(*) AS n,
            extract(epoch FROM now() - min(created_at))::float8 AS age
       FROM jobs WHERE status IN ('queued', 'running') GROUP BY kind, status
     UNION ALL
     SELECT 'reminders', 'due', count(*), coalesce(extract(epoch FROM now() - min(fire_at))::float8, 0)
       FROM reminders WHERE state = 'pending' AND fire_at <= now()
     UNION ALL
     SELECT 'mail', 'queued', count(*), coalesce(extract(epoch FROM now() - min(next_attempt_at))::float8, 0)
       FROM email_outbox WHERE status = 'queued'`,
  );
  const cursor = hub.lastEventId;
  const lag = await db.query<{ n: number; age: number | null }>(
    `SELECT count(*) AS n, extract(epoch FROM now() - min(at))::float8 AS age FROM events WHERE id > $1`,
    [cursor],
  );
  return {
    queues: queues.map((q) => ({ queue: q.queue, status: q.status, n: q.n, age: Math.max(0, q.age ?? 0) })),
    lagEvents: lag[0]?.n ?? 0,
    lagSeconds: Math.max(0, lag[0]?.age ?? 0),
  };
}
