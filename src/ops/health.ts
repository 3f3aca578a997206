import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { App, AppContext } from '../context.js';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'db', 'migrations');

/** Something that can be degraded without the process being dead (a replica, a mail relay). */
export type HealthCheck = () => Promise<{ ok: boolean; detail?: string }> | { ok: boolean; detail?: string };

/**
 * `/healthz` is liveness: 200 while the process can serve at all (its event
 * loop answers), with what is degraded listed (`database`, `replica`, …), so a
 * supervisor restarts only a process that is truly stuck. It answers 503 when
 * the primary database cannot be reached: nothing works without it.
 *
 * `/readyz` is readiness for a load balancer: 200 only when the database
 * answers, every migration this build knows has been applied, and the process
 * is not shutting down (it turns 503 the moment SIGTERM arrives, so the
 * balancer stops sending new requests while in-flight ones drain).
 */
export function registerHealth(app: App, ctx: AppContext, checks: Record<string, HealthCheck>): void {
  let known: Promise<string[]> | null = null;
  const migrationFiles = () =>
    (known ??= readdir(MIGRATIONS_DIR).then((files) => files.filter((f) => f.endsWith('.sql')).sort()));

  app.get('/healthz', { schema: { hide: true } }, async (_req, reply) => {
    const degraded: Record<string, string> = {};
    let dbOk = true;
    try {
      await ctx.db.query('SELECT 1');
    } catch (err) {
      dbOk = false;
      degraded.database = (err as Error).message;
    }
    for (const [name, check] of Object.entries(checks)) {
      try {
        const r = await check();
        if (!r.ok) degraded[name] = r.detail ?? 'unavailable';
      } catch (err) {
        degraded[name] = (err as Error).message;
      }
    }
    const body = {
      status: !dbOk ? 'unavailable' : Object.keys(degraded).length > 0 ? 'degraded' : 'ok',
      degraded,
      draining: ctx.lifecycle.isDraining,
      pid: process.pid,
    };
    return reply.status(dbOk ? 200 : 503).send(body);
  });

  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    if (ctx.lifecycle.isDraining) return reply.status(503).send({ status: 'draining' });
    try {
      const applied = new Set(
        (await ctx.db.query<{ name: string }>('SELECT name FROM schema_migrations')).map((r) => r.name),
      );
      const missing = (await migrationFiles()).filter((f) => !applied.has(f));
      if (missing.length > 0) return reply.status(503).send({ status: 'migrations pending', missing });
      return { status: 'ready' };
    } catch (err) {
      return reply.status(503).send({ status: 'database unavailable', detail: (err as Error).message });
    }
  });
}
