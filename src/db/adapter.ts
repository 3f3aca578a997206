import pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';

/**
 * One database layer over two engines: embedded PGlite (a laptop, tests) and
 * PostgreSQL through `pg` (production). Both answer with the same JS types:
 * int8/count → number, numeric → string, date → 'YYYY-MM-DD' string,
 * timestamptz → Date, json/jsonb → parsed.
 */
export type Row = Record<string, unknown>;

export interface QueryOptions {
  /**
   * PostgreSQL: run as a named prepared statement (parsed and planned once per
   * connection, then reused). Only for hot statements whose plan does not depend
   * on the values (no `LIKE $1` prefix scans: ranges; lists through `listParam`);
   * one name per SQL text. PGlite ignores it.
   */
  name?: string;
}

/**
 * A list parameter for `= ANY(…)` in a prepared statement: `(SELECT $n::text[])::text[]`.
 * With a bare `= ANY($n)` each custom plan sees the list's size and, for a short
 * list (a lone lookup, a small batch), costs less than the generic plan, which
 * assumes 10 items; PostgreSQL then plans every call, which costs more than
 * running these statements. The planner does not look into the subquery's
 * value, so every plan costs the same and the generic one is kept. The index
 * still applies (`= ANY ($n)` on an InitPlan's value).
 */
export function listParam(placeholder: string, type: 'text' | 'uuid'): string {
  return `(SELECT ${placeholder}::${type}[])::${type}[]`;
}

export interface Queryable {
  query<T = Row>(sql: string, params?: readonly unknown[], opts?: QueryOptions): Promise<T[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly engine: 'pglite' | 'postgres';
  /** Runs fn in one transaction: commit when it resolves, roll back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Subscribes to NOTIFY on a channel; returns the unsubscribe function. */
  listen(channel: string, handler: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
  /** Embedded database: a consistent copy of the whole data directory (a gzipped tar), taken between statements. */
  dumpDataDir?(): Promise<Blob>;
  /** PostgreSQL: the pool's connections (open, idle) and queries waiting for one. */
  poolStats?(): { total: number; idle: number; waiting: number };
  /**
   * PostgreSQL: another pool of `poolSize` connections to the same database with the same
   * settings (pooler mode, statement timeout), for a background worker whose statements must
   * not wait behind request traffic in this pool; the caller closes it. PGlite has none (one
   * connection by construction: callers keep using this Db).
   */
  openSidePool?(opts: { poolSize: number; application: string }): Db;
}

/**
 * Work to run at the end of a transaction, right before its COMMIT and after
 * everything the transaction's own code did. Keyed by the transaction's
 * Queryable; only the transactions this module's adapters open have a list.
 */
const commitHooks = new WeakMap<Queryable, (() => Promise<void>)[]>();

/**
 * Registers fn to run in tx just before tx commits (never if it rolls back).
 * Returns false when tx is not an open transaction of these adapters (a bare
 * Db, a recorder): the caller then does its work at once.
 */
export function beforeCommit(tx: Queryable, fn: () => Promise<void>): boolean {
  const hooks = commitHooks.get(tx);
  if (!hooks) return false;
  hooks.push(fn);
  return true;
}

/** Runs tx's registered work in order (work may register more) and forgets tx. */
async function runCommitHooks(tx: Queryable): Promise<void> {
  const hooks = commitHooks.get(tx);
  while (hooks?.length) await hooks.shift()!();
  commitHooks.delete(tx);
}

const INT8 = 20;
const NUMERIC = 1700;
const DATE = 1082;

/**
 * The one calling convention for work that may join a caller's transaction:
 * a service method takes `tx?: Queryable` as its last parameter and runs its
 * body through this helper, which joins `tx` when given and otherwise opens a
 * transaction of its own.
 */
export function inTransaction<T>(db: Db, tx: Queryable | undefined, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return tx ? fn(tx) : db.transaction(fn);
}

export async function one<T = Row>(
  q: Queryable,
  sql: string,
  params?: readonly unknown[],
  opts?: QueryOptions,
): Promise<T> {
  const rows = await q.query<T>(sql, params, opts);
  if (rows.length !== 1) throw new Error(`expected one row, got ${rows.length}`);
  return rows[0];
}

export async function maybeOne<T = Row>(
  q: Queryable,
  sql: string,
  params?: readonly unknown[],
  opts?: QueryOptions,
): Promise<T | null> {
  const rows = await q.query<T>(sql, params, opts);
  return rows[0] ?? null;
}

// ---------------------------------------------------------------- PostgreSQL

const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8) return (v: string) => Number(v);
    if (oid === NUMERIC || oid === DATE) return (v: string) => v;
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

interface PostgresOptions {
  url: string;
  poolSize: number;
  statementTimeoutMs: number;
  /**
   * 'transaction': the URL is a pooler in transaction mode (PgBouncer): no named
   * prepared statements (a statement prepared on one server connection is unknown
   * on the next), no session settings sent at connect (set `statement_timeout` and
   * `jit` on the database or role instead), LISTEN through `listenUrl`.
   */
  pooler?: 'none' | 'transaction';
  /** A direct connection for LISTEN (required behind a transaction pooler); defaults to `url`. */
  listenUrl?: string;
  application?: string;
}

export function openPostgres(opts: PostgresOptions): Db {
  const pooled = opts.pooler === 'transaction';
  const named = !pooled;
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize,
    types: pgTypes,
    application_name: opts.application ?? 'switchboard',
    // Behind a transaction pooler the server connection changes between transactions and
    // PgBouncer refuses unknown startup parameters: these are set on the database instead.
    ...(pooled
      ? {}
      : {
          statement_timeout: opts.statementTimeoutMs,
          // No JIT: every statement here runs in about a millisecond, and a cached generic plan whose
          // estimate crosses jit_above_cost (a batch's worst case) would compile on every execution.
          // (An `options` in DATABASE_URL replaces this.)
          options: '-c jit=off',
        }),
  });
  // An idle client losing its connection must not crash the process.
  pool.on('error', () => undefined);
  const listeners = new Map<string, Set<(payload: string) => void>>();
  let listenClient: pg.Client | null = null;
  let listenReady: Promise<pg.Client> | null = null;
  let closed = false;

  async function connectListener(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: opts.listenUrl ?? opts.url, types: pgTypes });
    client.on('notification', (msg) => {
      for (const h of listeners.get(msg.channel) ?? []) h(msg.payload ?? '');
    });
    client.on('error', () => {
      // Reconnect and re-subscribe: a lost LISTEN connection would silently stop live events.
      listenClient = null;
      listenReady = null;
      if (!closed && listeners.size > 0) setTimeout(() => void ensureListener().catch(() => undefined), 500);
    });
    await client.connect();
    for (const channel of listeners.keys()) await client.query(`LISTEN ${quoteIdent(channel)}`);
    listenClient = client;
    return client;
  }
  function ensureListener(): Promise<pg.Client> {
    if (!listenReady) listenReady = connectListener();
    return listenReady;
  }

  return {
    engine: 'postgres',
    async query<T>(sql: string, params?: readonly unknown[], opts?: QueryOptions) {
      const res =
        named && opts?.name
          ? await pool.query({ name: opts.name, text: sql, values: params as unknown[] })
          : await pool.query(sql, params as unknown[]);
      return res.rows as T[];
    },
    async exec(sql: string) {
      await pool.query(sql);
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const tx: Queryable = {
          async query<R>(sql: string, params?: readonly unknown[], opts?: QueryOptions) {
            const res =
              named && opts?.name
                ? await client.query({ name: opts.name, text: sql, values: params as unknown[] })
                : await client.query(sql, params as unknown[]);
            return res.rows as R[];
          },
          async exec(sql: string) {
            await client.query(sql);
          },
        };
        commitHooks.set(tx, []);
        const result = await fn(tx);
        await runCommitHooks(tx);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async listen(channel, handler) {
      let set = listeners.get(channel);
      const isNew = !set;
      if (!set) listeners.set(channel, (set = new Set()));
      set.add(handler);
      const client = await ensureListener();
      if (isNew && client === listenClient) await client.query(`LISTEN ${quoteIdent(channel)}`);
      return async () => {
        set.delete(handler);
        if (set.size === 0) {
          listeners.delete(channel);
          await listenClient?.query(`UNLISTEN ${quoteIdent(channel)}`).catch(() => undefined);
        }
      };
    },
    poolStats() {
      return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
    },
    openSidePool(side) {
      return openPostgres({ ...opts, poolSize: side.poolSize, application: side.application });
    },
    async close() {
      closed = true;
      if (listenClient) await listenClient.end().catch(() => undefined);
      await pool.end();
    },
  };
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

// ---------------------------------------------------------------- PGlite

/** Opens PGlite with pg_trgm; dataDir undefined means in memory (tests); `load` restores a dumpDataDir copy into it. */
export async function openPglite(dataDir: string | undefined, load?: Blob): Promise<Db> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm');
  const parsers = {
    [INT8]: (v: string) => Number(v),
    [NUMERIC]: (v: string) => v,
    [DATE]: (v: string) => v,
  };
  const db: PGlite = await PGlite.create(dataDir ?? 'memory://', {
    extensions: { pg_trgm },
    parsers,
    ...(load ? { loadDataDir: load } : {}),
  });
  return wrapPglite(db);
}

function wrapPglite(db: PGlite): Db {
  return {
    engine: 'pglite',
    async query<T>(sql: string, params?: readonly unknown[]) {
      const res = await db.query<T>(sql, params as unknown[]);
      return res.rows;
    },
    async exec(sql: string) {
      await db.exec(sql);
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>) {
      return db.transaction(async (t) => {
        const tx: Queryable = {
          async query<R>(sql: string, params?: readonly unknown[]) {
            const res = await t.query<R>(sql, params as unknown[]);
            return res.rows;
          },
          async exec(sql: string) {
            await t.exec(sql);
          },
        };
        commitHooks.set(tx, []);
        const result = await fn(tx);
        await runCommitHooks(tx);
        return result;
      });
    },
    async listen(channel, handler) {
      const unsub = await db.listen(channel, handler);
      return async () => {
        await unsub();
      };
    },
    async dumpDataDir() {
      return db.dumpDataDir('gzip');
    },
    async close() {
      await db.close();
    },
  };
}
