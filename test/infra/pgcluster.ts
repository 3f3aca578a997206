import { execFile } from 'node:child_process';
import { appendFileSync, chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './haproxy.js';

const run = promisify(execFile);
export const PG_BIN = '/usr/lib/postgresql/15/bin';

/** Runs a PostgreSQL program; as root, as the postgres user (the server refuses root). */
async function pg(program: string, args: string[]): Promise<string> {
  const bin = path.join(PG_BIN, program);
  const [cmd, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  const { stdout } = await run(cmd, argv, { timeout: 120_000 });
  return stdout;
}

export interface PrimaryAndStandby {
  primaryUrl: string;
  standbyUrl: string;
  /** Stops the standby (fast): reads must fall back to the primary. */
  stopStandby(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A throwaway primary (initdb in a temp dir, its own port) and a hot standby made
 * from it with `pg_basebackup -R` (streaming replication), both stopped and removed
 * by stop(). Nothing of the machine's own PostgreSQL is touched.
 */
export async function startPrimaryAndStandby(): Promise<PrimaryAndStandby> {
  const base = mkdtempSync(path.join(tmpdir(), 'sb-replica-'));
  chmodSync(base, 0o777);
  const primaryDir = path.join(base, 'primary');
  const standbyDir = path.join(base, 'standby');
  const [pPort, sPort] = [await freePort(), await freePort()];
  await pg('initdb', ['-D', primaryDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  appendFileSync(
    path.join(primaryDir, 'postgresql.conf'),
    `\nport = ${pPort}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '${base}'\n` +
      `wal_level = replica\nmax_wal_senders = 4\nfsync = off\nshared_buffers = 32MB\nmax_connections = 60\n`,
  );
  await pg('pg_ctl', ['-D', primaryDir, '-l', path.join(base, 'primary.log'), '-w', 'start']);
  await pg('pg_basebackup', [
    '-h',
    '127.0.0.1',
    '-p',
    String(pPort),
    '-U',
    'postgres',
    '-D',
    standbyDir,
    '-R',
    '-X',
    'stream',
    '-c',
    'fast',
  ]);
  // The copy has the primary's settings; the standby only needs its own port.
  await run(
    process.getuid?.() === 0 ? 'runuser' : 'sh',
    process.getuid?.() === 0
      ? [
          '-u',
          'postgres',
          '--',
          'sh',
          '-c',
          `echo "port = ${sPort}" >> ${path.join(standbyDir, 'postgresql.auto.conf')}`,
        ]
      : ['-c', `echo "port = ${sPort}" >> ${path.join(standbyDir, 'postgresql.auto.conf')}`],
  );
  const startStandby = () => pg('pg_ctl', ['-D', standbyDir, '-l', path.join(base, 'standby.log'), '-w', 'start']);
  await startStandby();
  let standbyUp = true;
  return {
    primaryUrl: `postgres://postgres@127.0.0.1:${pPort}/postgres`,
    standbyUrl: `postgres://postgres@127.0.0.1:${sPort}/postgres`,
    async stopStandby() {
      if (!standbyUp) return;
      standbyUp = false;
      await pg('pg_ctl', ['-D', standbyDir, '-m', 'fast', '-w', 'stop']);
    },
    async stop() {
      if (standbyUp) await pg('pg_ctl', ['-D', standbyDir, '-m', 'immediate', '-w', 'stop']).catch(() => '');
      await pg('pg_ctl', ['-D', primaryDir, '-m', 'immediate', '-w', 'stop']).catch(() => '');
      rmSync(base, { recursive: true, force: true });
    },
  };
}
