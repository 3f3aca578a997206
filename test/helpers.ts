import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import type { Clock } from '../src/clock.js';
import { loadConfig, type Config } from '../src/config.js';
import { openPglite, openPostgres, type Db } from '../src/db/adapter.js';
import { migrate } from '../src/db/migrate.js';
import { buildApp } from '../src/app.js';
import type { App, AppContext } from '../src/context.js';
import type { Role } from '../src/http/privileges.js';
import type { ResponseMismatch } from '../src/http/response-check.js';

/**
 * Tests run on PGlite in memory by default, and on real PostgreSQL when
 * TEST_DATABASE_URL is set: each test file then gets a database of its own,
 * created here and dropped at the end. With TEST_DATABASE_POOLER=transaction as
 * well, test/infra/pooler-setup.ts puts one PgBouncer in transaction mode in front
 * of that server and every test database is used through it (DATABASE_POOLER=transaction).
 */
export const ON_POSTGRES = Boolean(process.env.TEST_DATABASE_URL);
export const THROUGH_POOLER = ON_POSTGRES && process.env.TEST_DATABASE_POOLER === 'transaction';

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    LOG_LEVEL: 'silent',
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
    DEFAULT_PHONE_REGION: 'US',
    // API rate limits off unless a test asks for them (a test client makes many requests a minute).
    RATE_LIMIT_PER_MINUTE: '0',
    RATE_LIMIT_LOOKUP_PER_MINUTE: '0',
    ...env,
  });
}

/** The suite's PgBouncer port, or null when the tests talk to PostgreSQL directly. */
function poolerPort(): number | null {
  // inject() only works inside Vitest; without the variable nothing asks for it.
  if (!THROUGH_POOLER) return null;
  const port = inject('pgbouncerPort');
  if (port == null)
    throw new Error('TEST_DATABASE_POOLER is set but no PgBouncer was started (vitest.config.ts globalSetup)');
  return port;
}

/**
 * The database settings of a server on the test database at `directUrl`: DATABASE_URL and,
 * behind the suite's pooler, DATABASE_POOLER and DATABASE_LISTEN_URL (LISTEN goes direct).
 */
export function databaseEnv(directUrl: string): Record<string, string> {
  const port = poolerPort();
  if (port === null) return { DATABASE_URL: directUrl };
  const pooled = new URL(directUrl);
  pooled.hostname = '127.0.0.1';
  pooled.port = String(port);
  return { DATABASE_URL: pooled.toString(), DATABASE_POOLER: 'transaction', DATABASE_LISTEN_URL: directUrl };
}

/** Another pool on the test database at `directUrl`, opened as a server with `databaseEnv` opens it. */
export function openTestPostgres(directUrl: string, poolSize: number): Db {
  const env = databaseEnv(directUrl);
  return openPostgres({
    url: env.DATABASE_URL,
    poolSize,
    statementTimeoutMs: 30_000,
    pooler: env.DATABASE_POOLER === 'transaction' ? 'transaction' : 'none',
    listenUrl: directUrl,
  });
}

export interface TestDb {
  db: Db;
  /**
   * For PostgreSQL: the URL a server on this test's own database connects to (multi-process tests
   * start servers on it, with `env`); through the suite's pooler when there is one.
   */
  url: string | null;
  /** For PostgreSQL: this database straight on the server, for work a transaction pooler cannot carry. */
  directUrl: string | null;
  /** For PostgreSQL: `databaseEnv` of this database ({} on PGlite). */
  env: Record<string, string>;
  drop(): Promise<void>;
}

export async function createTestDb(): Promise<TestDb> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) {
    const db = await openPglite(undefined);
    await migrate(db);
    return { db, url: null, directUrl: null, env: {}, drop: () => db.close() };
  }
  const name = `sbtest_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  if (poolerPort() !== null) {
    // Behind a transaction pooler the server sends no session settings: they go on the database
    // (docs/operations.md, PgBouncer), as openPostgres otherwise sets them at connect.
    await admin.query(`ALTER DATABASE ${name} SET statement_timeout = 30000`);
    await admin.query(`ALTER DATABASE ${name} SET jit = off`);
  }
  await admin.end();
  const direct = new URL(base);
  direct.pathname = `/${name}`;
  const directUrl = direct.toString();
  const env = databaseEnv(directUrl);
  const db = openTestPostgres(directUrl, 10);
  await migrate(db);
  return {
    db,
    url: env.DATABASE_URL,
    directUrl,
    env,
    async drop() {
      await db.close();
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface TestApp {
  app: App;
  ctx: AppContext;
  db: Db;
  config: Config;
  /** For PostgreSQL: see TestDb (url, directUrl, env). */
  dbUrl: string | null;
  dbDirectUrl: string | null;
  dbEnv: Record<string, string>;
  /** A signed-in administrator. */
  admin: TestClient;
  close(): Promise<void>;
  /** Creates a user with a role (and optional explicit privileges) and signs them in. */
  user(role: Role, opts?: { privileges?: string[] | null; email?: string }): Promise<TestClient>;
  /** An API key client for a new user of `role`. */
  apiKey(role: Role, scope?: 'full' | 'lookup'): Promise<TestClient>;
  /** A client with no credentials. */
  anonymous: TestClient;
  /** With `checkResponses`: every response that did not match the OpenAPI document. */
  responseMismatches: ResponseMismatch[];
}

let counter = 0;
export const PASSWORD = 'correct horse battery staple';

export async function startTestApp(
  opts: { env?: Record<string, string>; runJobs?: boolean; clock?: Clock; checkResponses?: boolean } = {},
): Promise<TestApp> {
  const { db, url, directUrl, env, drop } = await createTestDb();
  const config = testConfig(opts.env);
  const mismatches: ResponseMismatch[] = [];
  const { app, ctx } = await buildApp(db, config, {
    runJobs: opts.runJobs ?? false,
    logger: false,
    clock: opts.clock,
    onResponseMismatch: opts.checkResponses ? (m) => mismatches.push(m) : undefined,
  });
  await app.ready();
  const users = ctx.services.users;
  const mkUser = async (role: Role, o: { privileges?: string[] | null; email?: string } = {}) => {
    const email = o.email ?? `${role}${++counter}.${randomBytes(3).toString('hex')}@example.test`;
    const u = await users.create(null, {
      email,
      password: PASSWORD,
      role,
      firstName: role[0].toUpperCase() + role.slice(1),
      lastName: String(counter),
      privileges: (o.privileges ?? null) as never,
    });
    return u;
  };
  const adminUser = await mkUser('admin');
  const admin = await TestClient.signIn(app, adminUser.email, PASSWORD, adminUser.id);
  return {
    app,
    ctx,
    db,
    config,
    dbUrl: url,
    dbDirectUrl: directUrl,
    dbEnv: env,
    admin,
    anonymous: new TestClient(app, {}, null),
    responseMismatches: mismatches,
    async user(role, o) {
      const u = await mkUser(role, o ?? {});
      return TestClient.signIn(app, u.email, PASSWORD, u.id);
    },
    async apiKey(role, scope = 'full') {
      const u = await mkUser(role);
      const created = await ctx.services.auth.createApiKey(null, { userId: u.id, scope });
      return new TestClient(app, { authorization: `Bearer ${created.key}` }, u.id);
    },
    async close() {
      await app.close();
      await drop();
    },
  };
}

type Body = Record<string, unknown> | unknown[] | string | undefined;

/** Sends requests through app.inject() with a session cookie + CSRF token, or an API key. */
export class TestClient {
  constructor(
    readonly app: App,
    readonly headers: Record<string, string>,
    readonly userId: string | null,
  ) {}

  static async signIn(app: App, email: string, password: string, userId: string | null = null): Promise<TestClient> {
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
    if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`);
    const cookie = res.cookies.find((c) => c.name === 'sb_session')!;
    const { csrfToken, id } = res.json() as { csrfToken: string; id: string };
    return new TestClient(app, { cookie: `sb_session=${cookie.value}`, 'x-csrf-token': csrfToken }, userId ?? id);
  }

  request(method: InjectOptions['method'], url: string, body?: Body, headers: Record<string, string> = {}) {
    return this.app.inject({
      method,
      url,
      headers: { ...this.headers, ...headers },
      ...(body !== undefined ? { payload: body as InjectOptions['payload'] } : {}),
    });
  }
  get(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse> {
    return this.request('GET', url, undefined, headers);
  }
  post(url: string, body?: Body, headers?: Record<string, string>) {
    return this.request('POST', url, body ?? {}, headers);
  }
  patch(url: string, body?: Body, headers?: Record<string, string>) {
    return this.request('PATCH', url, body ?? {}, headers);
  }
  put(url: string, body?: Body, headers?: Record<string, string>) {
    return this.request('PUT', url, body ?? {}, headers);
  }
  delete(url: string, headers?: Record<string, string>) {
    return this.request('DELETE', url, undefined, headers);
  }
}
