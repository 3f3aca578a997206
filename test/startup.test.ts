import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { databaseEnv, ON_POSTGRES } from './helpers.js';
import { ROOT, runCli, startServer } from './cli.js';
import { chooseRuntime } from '../bin/runtime.mjs';

const tmpDirs: string[] = [];
function tmpDataDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-test-'));
  tmpDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('which code runs', () => {
  it('the compiled server while its build is newer than every source file, else the sources', () => {
    const root = tmpDataDir();
    mkdirSync(path.join(root, 'src', 'modules'), { recursive: true });
    mkdirSync(path.join(root, 'dist', 'server'), { recursive: true });
    const source = path.join(root, 'src', 'modules', 'a.ts');
    const stamp = path.join(root, 'dist', 'server', '.built');
    writeFileSync(source, 'export {};');
    utimesSync(source, 1000, 1000);
    expect(chooseRuntime(root, {})).toBe('source'); // never built
    writeFileSync(stamp, 'built');
    utimesSync(stamp, 2000, 2000);
    expect(chooseRuntime(root, {})).toBe('compiled');
    expect(chooseRuntime(root, { SWITCHBOARD_FROM_SOURCE: '1' })).toBe('source');
    utimesSync(source, 3000, 3000); // edited after the build
    expect(chooseRuntime(root, {})).toBe('source');
  });
});

describe('configuration', () => {
  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['DEFAULT_PHONE_REGION', 'usa'],
    ['LOG_LEVEL', 'chatty'],
    ['SESSION_IDLE_MINUTES', '0'],
  ])('a bad %s=%s fails fast naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });

  it('admin email without password is refused', () => {
    expect(() => loadConfig({ SWITCHBOARD_ADMIN_EMAIL: 'a@b.c' })).toThrow(/SWITCHBOARD_ADMIN_PASSWORD/);
  });

  it('the CLI exits non-zero with the message, no stack trace', async () => {
    const res = await runCli(['serve'], { PORT: 'not-a-port', DATA_DIR: tmpDataDir() });
    expect(res.code).toBe(78);
    expect(res.stderr).toContain('PORT');
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });
});

// Each test here spawns whole servers on a fresh embedded database; on a busy
// two-core machine one start can take half a minute, so these get more time.
describe('embedded database (PGlite)', { timeout: 180_000 }, () => {
  it('first start creates the admin from the environment, keeps data across restarts, and a second process is refused', async () => {
    const dataDir = tmpDataDir();
    const port = await freePort();
    const env = {
      DATA_DIR: dataDir,
      PORT: String(port),
      SWITCHBOARD_ADMIN_EMAIL: 'boss@example.test',
      SWITCHBOARD_ADMIN_PASSWORD: 'first admin password',
    };
    const server = await startServer(env);
    try {
      expect(server.output()).toContain('boss@example.test');
      // The banner says which code runs: the compiled server once `npm run build` has run (CI builds first).
      expect(server.output()).toContain(
        chooseRuntime(ROOT) === 'compiled'
          ? 'Runtime: compiled JavaScript (dist/server)'
          : 'Runtime: TypeScript sources',
      );
      const login = await fetch(`${server.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'boss@example.test', password: 'first admin password' }),
      });
      expect(login.status).toBe(200);

      // A second opener of the same data directory is refused with a clear message.
      const second = await runCli(['migrate'], { DATA_DIR: dataDir });
      expect(second.code).toBe(78);
      expect(second.stderr).toMatch(/in use by another Switchboard process/);
      const key = await runCli(['api-key', 'create', '--email', 'boss@example.test'], { DATA_DIR: dataDir });
      expect(key.code).toBe(78);
    } finally {
      await server.stop();
    }
    // Once stopped, the CLI works on the same data, which survived.
    const key = await runCli(['api-key', 'create', '--email', 'boss@example.test', '--scope', 'lookup'], {
      DATA_DIR: dataDir,
    });
    expect(key.code).toBe(0);
    expect(key.stdout.trim()).toMatch(/^sb_/);
    const again = await startServer({ DATA_DIR: dataDir, PORT: String(port) });
    try {
      expect(again.output()).not.toContain('Password (shown once');
      const me = await fetch(`${again.url}/api/v1/me`, { headers: { authorization: `Bearer ${key.stdout.trim()}` } });
      expect(me.status).toBe(200);
      expect((await me.json()).email).toBe('boss@example.test');
    } finally {
      await again.stop();
    }
  });

  it('without admin variables, a password is generated and printed once', async () => {
    const server = await startServer({ DATA_DIR: tmpDataDir(), PORT: String(await freePort()) });
    try {
      const m = /First administrator: (\S+)\n.*Password \(shown once[^:]*\): (\S+)/.exec(server.output());
      expect(m).not.toBeNull();
      const login = await fetch(`${server.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: m![1], password: m![2] }),
      });
      expect(login.status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});

describe.runIf(ON_POSTGRES)('PostgreSQL', () => {
  it('two processes migrating together apply each migration exactly once', async () => {
    const base = new URL(process.env.TEST_DATABASE_URL!);
    const name = `sbmig_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: base.toString() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    try {
      base.pathname = `/${name}`;
      // As servers would: through the suite's pooler in the pooled run (the migration lock is transaction-scoped).
      const [a, b] = await Promise.all([
        runCli(['migrate'], databaseEnv(base.toString())),
        runCli(['migrate'], databaseEnv(base.toString())),
      ]);
      expect([a.code, b.code]).toEqual([0, 0]);
      const c = new pg.Client({ connectionString: base.toString() });
      await c.connect();
      const rows = (await c.query('SELECT name, count(*)::int AS n FROM schema_migrations GROUP BY name')).rows;
      await c.end();
      expect(rows.length).toBeGreaterThan(1);
      expect(rows.every((r) => r.n === 1)).toBe(true);
      expect([a.stdout, b.stdout].filter((s) => s.includes('up to date')).length).toBe(1);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
});
