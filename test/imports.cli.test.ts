import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startServer, type RunningServer } from './cli.js';
import { ON_POSTGRES } from './helpers.js';

/** `switchboard import …` on a stopped embedded database, and through a running server's API with a key. */
async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

// The command is the same on both engines; it runs on the embedded database only (once per suite).
describe.runIf(!ON_POSTGRES)('switchboard import (command line)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-import-cli-'));
  const admin = { SWITCHBOARD_ADMIN_EMAIL: 'cli@test.example', SWITCHBOARD_ADMIN_PASSWORD: 'cli-test-password' };
  let server: RunningServer | null = null;
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const csv = path.join(dir, 'people.csv');
  writeFileSync(
    csv,
    'Account Number,First Name,Last Name,Email\nL-1,Ann,Local,ann@l.test\nL-2,Bob,Local,not-an-email\nL-3,Cy,Local,cy@l.test\n',
  );

  it(
    'imports into a stopped embedded database, with a dry run first and the failed rows written out',
    { timeout: 120_000 },
    async () => {
      const env = { DATA_DIR: path.join(dir, 'embedded'), ...admin };
      const dry = await runCli(['import', 'customers', csv, '--dry-run'], env);
      expect(dry.stdout, dry.stderr).toContain(
        'Dry run completed: 3 rows read, 2 created, 0 updated, 0 unchanged, 1 failed',
      );
      expect(dry.code).toBe(2);
      const errors = path.join(dir, 'errors.csv');
      const real = await runCli(['import', 'customers', csv, '--mode', 'upsert', '--errors', errors], env);
      expect(real.stdout, real.stderr).toContain(
        'Import completed: 3 rows read, 2 created, 0 updated, 0 unchanged, 1 failed',
      );
      expect(real.code).toBe(2);
      const file = readFileSync(errors, 'utf8').replace(/^\ufeff/, '');
      expect(file.split('\n')[0]).toBe('Account Number,First Name,Last Name,Email,error');
      expect(file).toContain('L-2,Bob,Local,not-an-email,row 3: Email: is not a valid email address');
      const bad = await runCli(['import', 'widgets', csv], env);
      expect(bad.code).toBe(64);
      expect(bad.stderr).toContain('customers, cases or follow-ups');
    },
  );

  it('imports through a running server with an API key', { timeout: 180_000 }, async () => {
    const env = { DATA_DIR: path.join(dir, 'served'), ...admin };
    const user = ['user', 'create', '--email', 'importer@test.example', '--role', 'admin', '--password', 'importer-pw'];
    expect((await runCli(user, env)).code).toBe(0);
    const key = await runCli(['api-key', 'create', '--email', 'importer@test.example'], env);
    expect(key.code, key.stderr).toBe(0);
    server = await startServer({ ...env, PORT: String(await freePort()) });
    const res = await runCli(['import', 'customers', csv, '--server', server.url, '--api-key', key.stdout.trim()], env);
    expect(res.stdout, res.stderr).toContain(
      'Import completed: 3 rows read, 2 created, 0 updated, 0 unchanged, 1 failed',
    );
    expect(res.stdout).toContain('/errors.csv');
    expect(res.code).toBe(2);
  });
});
