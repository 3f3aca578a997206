import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import { ON_POSTGRES } from './helpers.js';

/** `switchboard export …` on a stopped embedded database (the server path is the HTTP route the exports tests cover). */
describe.runIf(!ON_POSTGRES)('switchboard export (command line)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-export-cli-'));
  const admin = { SWITCHBOARD_ADMIN_EMAIL: 'cli@test.example', SWITCHBOARD_ADMIN_PASSWORD: 'cli-test-password' };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(
    'exports what was imported, with filters, chosen columns, gzip; bad usage exits 64',
    { timeout: 400_000 },
    async () => {
      const env = { DATA_DIR: path.join(dir, 'embedded'), ...admin };
      const csv = path.join(dir, 'people.csv');
      writeFileSync(
        csv,
        'Account Number,First Name,Last Name,Mobile,VIP\nE-1,Ann,Export,+44 20 7946 0958,yes\nE-2,Bob,Export,,no\n',
      );
      const imported = await runCli(['import', 'customers', csv], env);
      expect(imported.code, imported.stderr).toBe(0);

      const out = await runCli(
        ['export', 'customers', '--filter', 'vip=true', '--columns', 'accountNumber,phones.mobile'],
        env,
      );
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout).toBe("Account number,Mobile\r\nE-1,'+44 20 7946 0958\r\n");
      expect(out.stderr).toContain('Exported 1 customers');

      const file = path.join(dir, 'all.jsonl.gz');
      const gz = await runCli(['export', 'customers', '--format', 'jsonl', '--gzip', '--out', file], env);
      expect(gz.code, gz.stderr).toBe(0);
      const lines = gunzipSync(readFileSync(file)).toString('utf8').trim().split('\n');
      expect(lines.map((l) => JSON.parse(l).accountNumber).sort()).toEqual(['E-1', 'E-2']);

      const bad = await runCli(['export', 'widgets'], env);
      expect(bad.code).toBe(64);
      expect(bad.stderr).toContain('say what to export');
    },
  );
});
