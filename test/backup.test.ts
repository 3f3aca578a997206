import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite, type Db } from '../src/db/adapter.js';
import { runCli } from './cli.js';
import { freePort } from './infra/haproxy.js';
import { databaseEnv, ON_POSTGRES, openTestPostgres, startTestApp, type TestApp } from './helpers.js';

/** Backups: every table of the restored copy equals the original (docs/operations.md). */
async function tableDigests(db: Db): Promise<Record<string, string>> {
  const tables = await db.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  const out: Record<string, string> = {};
  for (const { name } of tables) {
    const [r] = await db.query<{ n: number; digest: string | null }>(
      `SELECT count(*) AS n, md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest FROM "${name}" t`,
    );
    out[name] = `${r.n}:${r.digest ?? ''}`;
  }
  return out;
}

describe('backup and restore', () => {
  let t: TestApp;
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-backup-'));
  beforeAll(async () => {
    t = await startTestApp();
    for (let i = 0; i < 3; i++) {
      const res = await t.admin.post('/api/v1/customers', { firstName: `Backed${i}`, lastName: 'Up' });
      expect(res.statusCode).toBe(201);
    }
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.runIf(!ON_POSTGRES)('a running embedded database is copied through the server (GET /api/v1/backup)', async () => {
    expect((await t.anonymous.get('/api/v1/backup')).statusCode).toBe(401);
    const res = await t.admin.get('/api/v1/backup');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/gzip');
    const copy = await openPglite(undefined, new Blob([new Uint8Array(res.rawPayload)]));
    try {
      const original = await tableDigests(t.db);
      expect(original.customers).toMatch(/^3:/);
      expect(await tableDigests(copy)).toEqual(original);
    } finally {
      await copy.close();
    }
  });

  it.runIf(!ON_POSTGRES)(
    'a stopped embedded database: backup FILE, restore FILE into a new DATA_DIR',
    { timeout: 900_000 },
    async () => {
      const source = path.join(dir, 'source');
      const target = path.join(dir, 'target');
      const made = await runCli(
        ['user', 'create', '--email', 'b@example.test', '--role', 'agent', '--password', 'backup-password-1'],
        { DATA_DIR: source },
        300_000,
      );
      expect(made.code, made.stderr).toBe(0);
      const file = path.join(dir, 'embedded.tar.gz');
      const backup = await runCli(['backup', file], { DATA_DIR: source }, 300_000);
      expect(backup.code, backup.stderr).toBe(0);
      const restore = await runCli(['restore', file], { DATA_DIR: target }, 300_000);
      expect(restore.code, restore.stderr).toBe(0);
      // Restoring over existing data is refused.
      const again = await runCli(['restore', file], { DATA_DIR: target }, 300_000);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('is not empty');
      const a = await openPglite(path.join(source, 'pgdata'));
      const b = await openPglite(path.join(target, 'pgdata'));
      try {
        const original = await tableDigests(a);
        expect(original.users).toMatch(/^1:/);
        expect(await tableDigests(b)).toEqual(original);
      } finally {
        await a.close();
        await b.close();
      }
    },
  );

  it.runIf(ON_POSTGRES)(
    'PostgreSQL: backup (pg_dump) and restore (pg_restore) into a fresh database',
    { timeout: 120_000 },
    async () => {
      const file = path.join(dir, 'pg.dump');
      const backup = await runCli(['backup', file], t.dbEnv);
      expect(backup.code, backup.stderr).toBe(0);
      const name = `sbrestore_${process.pid}_${Date.now()}`;
      const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      const url = new URL(t.dbDirectUrl!);
      url.pathname = `/${name}`;
      try {
        const restore = await runCli(['restore', file], databaseEnv(url.toString()));
        expect(restore.code, restore.stderr).toBe(0);
        const copy = openTestPostgres(url.toString(), 2);
        try {
          const original = await tableDigests(t.db);
          expect(original.customers).toMatch(/^3:/);
          expect(await tableDigests(copy)).toEqual(original);
        } finally {
          await copy.close();
        }
        const api = await t.admin.get('/api/v1/backup');
        expect(api.statusCode).toBe(409);
      } finally {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end();
      }
    },
  );
  it.runIf(ON_POSTGRES)(
    'PostgreSQL behind a transaction pooler: pg_dump and pg_restore connect directly (DATABASE_LISTEN_URL)',
    { timeout: 120_000 },
    async () => {
      // They need a session, which a transaction pooler does not keep (through one, a restore came out
      // without its tables). DATABASE_URL here is a port nobody listens on: only the direct URL answers.
      const pooler = {
        DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/nowhere`,
        DATABASE_POOLER: 'transaction',
      };
      const file = path.join(dir, 'direct.dump');
      const backup = await runCli(['backup', file], { ...pooler, DATABASE_LISTEN_URL: t.dbDirectUrl! });
      expect(backup.code, backup.stderr).toBe(0);
      const name = `sbdirect_${process.pid}_${Date.now()}`;
      const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      const url = new URL(t.dbDirectUrl!);
      url.pathname = `/${name}`;
      try {
        const restore = await runCli(['restore', file], { ...pooler, DATABASE_LISTEN_URL: url.toString() });
        expect(restore.code, restore.stderr).toBe(0);
        const c = new pg.Client({ connectionString: url.toString() });
        await c.connect();
        const { rows } = await c.query(`SELECT count(*)::int AS n FROM customers WHERE last_name = 'Up'`);
        await c.end();
        expect(rows).toEqual([{ n: 3 }]);
      } finally {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end();
      }
    },
  );
});
