import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';
import type { App, AppContext } from '../context.js';
import { openPglite } from '../db/adapter.js';
import { DataDirLockedError, lockDataDir } from '../db/lock.js';
import { actorOf } from '../http/auth.js';
import { AppError } from '../http/errors.js';

/**
 * Backups (docs/operations.md).
 *
 * Embedded database: a copy of the whole data directory as PGlite's own
 * `dumpDataDir` makes it (a gzipped tar), consistent because PGlite runs one
 * statement at a time and the copy is taken between them. With the server
 * stopped the CLI opens the directory itself; while it runs, the server holds
 * the directory and the copy comes through it (`GET /api/v1/backup`, an
 * administrator's session or API key): `switchboard backup FILE --from URL`.
 *
 * PostgreSQL: `pg_dump --format=custom` (a consistent snapshot while the servers
 * run) and `pg_restore` into an empty database.
 */
export class BackupError extends Error {}

/**
 * Where pg_dump and pg_restore connect. Both set session state (search_path, timeouts) before
 * their work, which a transaction pooler does not keep (the next statement may run on another
 * server connection): behind one they go straight to PostgreSQL, as LISTEN does.
 */
function sessionUrl(config: Config): string {
  return config.database.pooler === 'transaction' ? config.database.listenUrl! : config.databaseUrl!;
}

export async function backupCommand(
  config: Config,
  file: string,
  from?: { url: string; apiKey: string },
): Promise<string> {
  if (from) {
    const res = await fetch(new URL('/api/v1/backup', from.url), {
      headers: { authorization: `Bearer ${from.apiKey}` },
    });
    if (!res.ok) throw new BackupError(`the server answered ${res.status}: ${await res.text()}`);
    await writeFile(file, Buffer.from(await res.arrayBuffer()));
    return `Backup of the running server written to ${file}`;
  }
  if (config.databaseUrl) {
    await run('pg_dump', ['--format=custom', '--no-owner', `--file=${file}`, `--dbname=${sessionUrl(config)}`]);
    return `PostgreSQL dump (pg_dump --format=custom) written to ${file}`;
  }
  let lock;
  try {
    lock = lockDataDir(config.dataDir);
  } catch (err) {
    if (err instanceof DataDirLockedError) {
      throw new BackupError(
        `${err.message}\nThe server is running: back up through it with\n  switchboard backup ${file} --from http://localhost:${config.port} --api-key <an administrator's API key>`,
      );
    }
    throw err;
  }
  try {
    const db = await openPglite(path.join(config.dataDir, 'pgdata'));
    try {
      const blob = await db.dumpDataDir!();
      await writeFile(file, Buffer.from(await blob.arrayBuffer()));
    } finally {
      await db.close();
    }
  } finally {
    lock.release();
  }
  return `Embedded database copied to ${file}`;
}

export async function restoreCommand(config: Config, file: string): Promise<string> {
  if (config.databaseUrl) {
    // Into an empty database only: a restore never mixes with existing data.
    await run('pg_restore', ['--no-owner', '--exit-on-error', `--dbname=${sessionUrl(config)}`, file]);
    return `Restored ${file} into the database of DATABASE_URL`;
  }
  const pgdata = path.join(config.dataDir, 'pgdata');
  if (existsSync(pgdata) && readdirSync(pgdata).length > 0) {
    throw new BackupError(`${pgdata} is not empty: restore into a new DATA_DIR`);
  }
  const lock = lockDataDir(config.dataDir);
  try {
    const blob = new Blob([await readFile(file)]);
    const db = await openPglite(pgdata, blob);
    await db.query('SELECT 1');
    await db.close();
  } finally {
    lock.release();
  }
  return `Restored ${file} into ${config.dataDir}`;
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.once('error', (e) => reject(new BackupError(`${cmd} could not run: ${e.message}`)));
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new BackupError(`${cmd} failed (${code}): ${err}`))));
  });
}

/** GET /api/v1/backup: the running embedded database's copy, for administrators. */
export function registerBackupRoute(app: App, ctx: AppContext): void {
  app.get(
    '/api/v1/backup',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['operations'],
        summary:
          'A consistent copy of the embedded database (gzipped tar of its data directory) for `switchboard restore`. On PostgreSQL use pg_dump (409).',
      },
    },
    async (request, reply) => {
      actorOf(request);
      if (!ctx.db.dumpDataDir) {
        throw new AppError(
          409,
          'Conflict',
          'This server runs on PostgreSQL: back it up with pg_dump (docs/operations.md)',
        );
      }
      const blob = await ctx.db.dumpDataDir();
      const stamp = ctx.clock.now().toISOString().replace(/[:.]/g, '-');
      return reply
        .type('application/gzip')
        .header('content-disposition', `attachment; filename="switchboard-${stamp}.tar.gz"`)
        .send(Buffer.from(await blob.arrayBuffer()));
    },
  );
}
