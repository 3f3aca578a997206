import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { App, AppContext } from '../context.js';
import type { Db, Queryable } from '../db/adapter.js';
import { AppError, Conflict, Invalid } from './errors.js';

/**
 * `Idempotency-Key` on POST: a retried request (a client that timed out, or the
 * load balancer resending after a server process died mid-request) must not
 * write twice.
 *
 * How: the key is recorded INSIDE the request's first write transaction (the
 * database wrapper below inserts it before the handler's work, in the same
 * transaction), so "the write committed" and "the key is taken" are one fact.
 * The response is stored once sent. A later request with the key:
 * - same request, response stored → the stored response, `Idempotent-Replayed: true`;
 * - same request, no response yet (still running, or its process died between
 *   commit and answer) → 409, nothing written;
 * - a different method, path or body → 409 naming the header.
 * Two identical requests at the same moment: the second's insert waits on the
 * first's row and fails when it commits; its transaction rolls back (409).
 * A request that wrote nothing (a 4xx from validation) records nothing: a retry
 * runs again, which is safe because nothing changed.
 */
const IDEMPOTENCY_HEADER = 'idempotency-key';

interface KeyState {
  ownerId: string;
  key: string;
  hash: string;
  method: string;
  path: string;
  now: Date;
  /** The marker is inserted in a transaction that has not ended yet, or has committed. */
  recorded: boolean;
  committed: boolean;
  /** The handler has answered: later transactions in this async context are not the request's. */
  done: boolean;
}

const als = new AsyncLocalStorage<KeyState>();

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: KeyState | null;
  }
}

class KeyInFlight extends AppError {
  constructor() {
    super(
      409,
      'Conflict',
      'A request with this Idempotency-Key is still being processed, or was applied and its answer lost; read the record before retrying with a new key',
      { errors: [{ field: 'Idempotency-Key', message: 'in use by a request that has not answered' }] },
    );
  }
}

/** Wraps the database so the first transaction of an idempotent request also takes its key. */
export function idempotentDb(db: Db): Db {
  return {
    ...db,
    engine: db.engine,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const st = als.getStore();
      if (!st || st.recorded || st.done) return db.transaction(fn);
      st.recorded = true;
      try {
        const result = await db.transaction(async (tx) => {
          try {
            await tx.query(
              `INSERT INTO idempotency_keys (owner_id, key, request_hash, method, path, created_at)
               VALUES ($1, $2, $3, $4, $5, $6)`,
              [st.ownerId, st.key, st.hash, st.method, st.path, st.now],
            );
          } catch (err) {
            const e = err as { code?: string; constraint?: string };
            if (e.code === '23505' && e.constraint === 'idempotency_keys_pkey') throw new KeyInFlight();
            throw err;
          }
          return fn(tx);
        });
        st.committed = true;
        return result;
      } catch (err) {
        st.recorded = false;
        throw err;
      }
    },
  };
}

function requestHash(request: FastifyRequest): string {
  const body = request.body === undefined ? '' : JSON.stringify(request.body);
  return createHash('sha256').update(`${request.method} ${request.url}\n${body}`).digest('hex');
}

interface StoredKey {
  request_hash: string;
  status_code: number | null;
  content_type: string | null;
  response_body: string | null;
}

/** Registers the hooks; call before the modules register their routes (handlers are wrapped as they register). */
export function registerIdempotency(app: App, ctx: AppContext, rawDb: Db): void {
  app.decorateRequest('idempotency', null);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.includes('POST') || !route.url.startsWith('/api/')) return;
    const handler = route.handler;
    route.handler = function (this: unknown, request, reply) {
      const st = request.idempotency;
      return st
        ? als.run(st, () => handler.call(this as never, request, reply))
        : handler.call(this as never, request, reply);
    } as typeof handler;
  });

  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST') return;
    const raw = request.headers[IDEMPOTENCY_HEADER];
    if (raw === undefined || !request.actor?.userId) return;
    const key = Array.isArray(raw) ? raw[0] : raw;
    if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
      throw new Invalid([{ field: 'Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters' }]);
    }
    const hash = requestHash(request);
    const rows = await rawDb.query<StoredKey>(
      `SELECT request_hash, status_code, content_type, response_body FROM idempotency_keys
        WHERE owner_id = $1 AND key = $2`,
      [request.actor.userId, key],
    );
    const found = rows[0];
    if (found) {
      if (found.request_hash !== hash) {
        throw new Conflict('This Idempotency-Key was already used for a different request', {
          errors: [{ field: 'Idempotency-Key', message: 'already used for a different request' }],
        });
      }
      if (found.status_code === null) throw new KeyInFlight();
      reply.status(found.status_code).header('idempotent-replayed', 'true');
      if (found.content_type) reply.header('content-type', found.content_type);
      return reply.send(found.response_body ?? '');
    }
    request.idempotency = {
      ownerId: request.actor.userId,
      key,
      hash,
      method: request.method,
      path: request.url.split('?')[0],
      now: ctx.clock.now(),
      recorded: false,
      committed: false,
      done: false,
    };
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const st = request.idempotency;
    if (!st || st.done) return payload;
    st.done = true;
    if (!st.committed) return payload;
    const body = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : null;
    const type = reply.getHeader('content-type');
    await rawDb.query(
      `UPDATE idempotency_keys SET status_code = $3, content_type = $4, response_body = $5, completed_at = $6
        WHERE owner_id = $1 AND key = $2`,
      [st.ownerId, st.key, reply.statusCode, typeof type === 'string' ? type : null, body, ctx.clock.now()],
    );
    return payload;
  });

  ctx.jobs.every('idempotency-prune', 10 * 60_000, async () => {
    const before = new Date(ctx.clock.now().getTime() - ctx.config.idempotencyKeyMs);
    await rawDb.query('DELETE FROM idempotency_keys WHERE created_at < $1', [before]);
  });
}
