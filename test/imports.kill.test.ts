import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPglite, type Db } from '../src/db/adapter.js';
import { startServer, type RunningServer } from './cli.js';
import { createTestDb, ON_POSTGRES, type TestDb } from './helpers.js';

/**
 * A server process killed (SIGKILL) in the middle of a 50,000-row import:
 * a new process finishes the job from its last committed chunk, every row is
 * in the database exactly once (with one history entry), and the counts are
 * those of a clean run. On PostgreSQL the job is taken over when its lease
 * runs out; on the embedded database, at the next start.
 */
const ROWS = 50_000;
const BAD_EVERY = 1000; // rows with a bad email: row errors, counted as failed
const ADMIN = { email: 'kill@test.example', password: 'kill-test-password' };

function file(): string {
  const lines = ['Account Number,First Name,Last Name,Email,Phone,City'];
  for (let i = 1; i <= ROWS; i++) {
    const email = i % BAD_EVERY === 0 ? 'not-an-email' : `k${i}@example.test`;
    lines.push(`K-${i},First${i},Last${i},${email},(415) 555-${String(i % 10_000).padStart(4, '0')},City ${i % 97}`);
  }
  return lines.join('\n') + '\n';
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

class Api {
  private headers: Record<string, string> = {};
  constructor(readonly base: string) {}
  async signIn() {
    const res = await fetch(`${this.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
    });
    if (res.status !== 200) throw new Error(`sign-in ${res.status}`);
    const cookie = res.headers
      .getSetCookie()
      .find((c) => c.startsWith('sb_session='))!
      .split(';')[0];
    this.headers = { cookie, 'x-csrf-token': ((await res.json()) as { csrfToken: string }).csrfToken };
  }
  async call<T>(method: string, url: string, body?: string | object, type = 'application/json'): Promise<T> {
    const send = () =>
      fetch(`${this.base}${url}`, {
        method,
        headers: { ...this.headers, ...(body !== undefined ? { 'content-type': type } : {}) },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
    // A keep-alive socket the server closed just then: a GET is simply sent again.
    const res = await send().catch((err) => (method === 'GET' ? send() : Promise.reject(err)));
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${url}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  }
}

interface RunView {
  status: string;
  counts: { read: number; created: number; updated: number; unchanged: number; failed: number };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function killMidImport(env: Record<string, string>, check: () => Promise<void>) {
  const port = await freePort();
  const serverEnv = {
    ...env,
    PORT: String(port),
    SWITCHBOARD_ADMIN_EMAIL: ADMIN.email,
    SWITCHBOARD_ADMIN_PASSWORD: ADMIN.password,
    JOB_LEASE_SECONDS: '3',
    LOG_LEVEL: 'error',
  };
  let server: RunningServer = await startServer(serverEnv, 90_000);
  try {
    let api = new Api(server.url);
    await api.signIn();
    const imp = await api.call<{ id: string; totalRows: number }>(
      'POST',
      '/api/v1/imports?objectType=customers&fileName=kill.csv',
      file(),
      'text/csv',
    );
    expect(imp.totalRows).toBe(ROWS);
    await api.call('POST', `/api/v1/imports/${imp.id}/start`, { mode: 'upsert' });
    let atKill: RunView | null = null;
    for (let i = 0; i < 1200 && !atKill; i++) {
      const run = (await api.call<{ run: RunView }>('GET', `/api/v1/imports/${imp.id}`)).run;
      if (run.counts.read >= 4000) atKill = run;
      else await sleep(50);
    }
    expect(atKill, 'the import made progress').not.toBeNull();
    server.child.kill('SIGKILL');
    await new Promise((r) => server.child.once('exit', r));
    expect(atKill!.status).toBe('running');
    expect(atKill!.counts.read).toBeLessThan(ROWS);

    server = await startServer(serverEnv, 90_000);
    api = new Api(server.url);
    await api.signIn();
    let done: RunView | null = null;
    for (let i = 0; i < 3000 && !done; i++) {
      const run = (await api.call<{ run: RunView }>('GET', `/api/v1/imports/${imp.id}`)).run;
      if (run.status !== 'running' && run.status !== 'queued') done = run;
      else await sleep(100);
    }
    expect(done).toMatchObject({
      status: 'completed',
      counts: { read: ROWS, created: ROWS - ROWS / BAD_EVERY, updated: 0, unchanged: 0, failed: ROWS / BAD_EVERY },
    });
    const errors = await api.call<{ items: { row: number }[] }>('GET', `/api/v1/imports/${imp.id}/errors?limit=200`);
    expect(errors.items.map((e) => e.row)).toEqual(
      Array.from({ length: ROWS / BAD_EVERY }, (_, i) => (i + 1) * BAD_EVERY + 1),
    );
  } finally {
    await server.stop();
  }
  await check();
}

async function checkOnce(db: Db) {
  const good = ROWS - ROWS / BAD_EVERY;
  const [c] = await db.query<{ n: number; distinct_n: number }>(
    `SELECT count(*) AS n, count(DISTINCT account_number) AS distinct_n FROM customers WHERE account_number LIKE 'K-%'`,
  );
  expect(c).toEqual({ n: good, distinct_n: good });
  const [h] = await db.query<{ n: number; records: number }>(
    `SELECT count(*) AS n, count(DISTINCT h.record_id) AS records FROM history h
     JOIN customers c ON c.id = h.record_id WHERE h.record_type = 'customer' AND c.account_number LIKE 'K-%'`,
  );
  expect(h).toEqual({ n: good, records: good });
  const [p] = await db.query<{ n: number }>(
    `SELECT count(*) AS n FROM customer_phones p JOIN customers c ON c.id = p.customer_id
     WHERE c.account_number LIKE 'K-%'`,
  );
  expect(p.n).toBe(good);
}

describe.runIf(ON_POSTGRES)('an import survives SIGKILL (PostgreSQL, spawned servers)', () => {
  let t: TestDb;
  afterAll(async () => t?.drop());
  it('resumes after the lease and holds every row exactly once', { timeout: 600_000 }, async () => {
    t = await createTestDb();
    await killMidImport(t.env, () => checkOnce(t.db));
  });
});

describe.runIf(!ON_POSTGRES)('an import survives SIGKILL (embedded database, spawned servers)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sb-kill-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  it('resumes at the next start and holds every row exactly once', { timeout: 600_000 }, async () => {
    await killMidImport({ DATA_DIR: dataDir }, async () => {
      const db = await openPglite(path.join(dataDir, 'pgdata'));
      try {
        await checkOnce(db);
      } finally {
        await db.close();
      }
    });
  });
});
