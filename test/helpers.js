import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../src/config.js';
import { openPglite, openPostgres } from '../src/db/adapter.js';
import { migrate } from '../src/db/migrate.js';
import { buildApp } from '../src/app.js';
/**
 * Tests run on PGlite in memory by default, and on real PostgreSQL when
 * TEST_DATABASE_URL is set: each test file then gets a database of its own,
 * created here and dropped at the end.
 */
export const ON_POSTGRES = Boolean(process.env.TEST_DATABASE_URL);
export function testConfig(env = {}) {
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
export async function createTestDb() {
    const base = process.env.TEST_DATABASE_URL;
    if (!base) {
        const db = await openPglite(undefined);
        await migrate(db);
        return { db, url: null, drop: () => db.close() };
    }
    const name = `sbtest_${process.pid}_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(base);
    url.pathname = `/${name}`;
    const db = openPostgres({ url: url.toString(), poolSize: 10, statementTimeoutMs: 30000 });
    await migrate(db);
    return {
        db,
        url: url.toString(),
        async drop() {
            await db.close();
            const c = new pg.Client({ connectionString: base });
            await c.connect();
            await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
            await c.end();
        },
    };
}
let counter = 0;
export const PASSWORD = 'correct horse battery staple';
export async function startTestApp(opts = {}) {
    const { db, url, drop } = await createTestDb();
    const config = testConfig(opts.env);
    const mismatches = [];
    const { app, ctx } = await buildApp(db, config, {
        runJobs: opts.runJobs ?? false,
        logger: false,
        clock: opts.clock,
        onResponseMismatch: opts.checkResponses ? (m) => mismatches.push(m) : undefined,
    });
    await app.ready();
    const users = ctx.services.users;
    const mkUser = async (role, o = {}) => {
        const email = o.email ?? `${role}${++counter}.${randomBytes(3).toString('hex')}@example.test`;
        const u = await users.create(null, {
            email,
            password: PASSWORD,
            role,
            firstName: role[0].toUpperCase() + role.slice(1),
            lastName: String(counter),
            privileges: (o.privileges ?? null),
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
/** Sends requests through app.inject() with a session cookie + CSRF token, or an API key. */
export class TestClient {
    app;
    headers;
    userId;
    constructor(app, headers, userId) {
        this.app = app;
        this.headers = headers;
        this.userId = userId;
    }
    static async signIn(app, email, password, userId = null) {
        const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
        if (res.statusCode !== 200)
            throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`);
        const cookie = res.cookies.find((c) => c.name === 'sb_session');
        const { csrfToken, id } = res.json();
        return new TestClient(app, { cookie: `sb_session=${cookie.value}`, 'x-csrf-token': csrfToken }, userId ?? id);
    }
    request(method, url, body, headers = {}) {
        return this.app.inject({
            method,
            url,
            headers: { ...this.headers, ...headers },
            ...(body !== undefined ? { payload: body } : {}),
        });
    }
    get(url, headers) {
        return this.request('GET', url, undefined, headers);
    }
    post(url, body, headers) {
        return this.request('POST', url, body ?? {}, headers);
    }
    patch(url, body, headers) {
        return this.request('PATCH', url, body ?? {}, headers);
    }
    put(url, body, headers) {
        return this.request('PUT', url, body ?? {}, headers);
    }
    delete(url, headers) {
        return this.request('DELETE', url, undefined, headers);
    }
}
//# sourceMappingURL=helpers.js.map