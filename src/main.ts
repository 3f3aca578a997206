import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from './config.js';
import type { Db } from './db/adapter.js';
import { DataDirLockedError } from './db/lock.js';
import { migrate } from './db/migrate.js';
import { openDatabase } from './db/open.js';
import { openPostgres } from './db/adapter.js';
import { ReplicaRouter } from './db/replica.js';
import { backupCommand, BackupError, restoreCommand } from './ops/backup.js';
import { systemClock } from './clock.js';
import { buildApp } from './app.js';
import { UsersService } from './modules/users/service.js';
import { AuthService } from './modules/users/auth-service.js';
import { generatePassword } from './modules/users/secrets.js';
import { AppError } from './http/errors.js';
import type { Role } from './http/privileges.js';
import { importCommand, ImportUsageError, IMPORT_USAGE } from './modules/imports/cli.js';
import { exportCommand, ExportUsageError, EXPORT_USAGE } from './modules/exports/cli.js';

const USAGE = `switchboard — contact-center CRM

Usage:
  switchboard serve [--workers N|auto]   start the API and console (default); several processes on PostgreSQL
  switchboard migrate                    apply database migrations and exit
  switchboard user create --email E --role admin|supervisor|agent [--password P] [--first-name F] [--last-name L]
  switchboard backup FILE [--from URL --api-key KEY]   copy the database (embedded: through a running server with --from)
  switchboard restore FILE               load a backup into an empty DATA_DIR (or empty PostgreSQL database)
  switchboard api-key create --email E [--scope full|lookup] [--name N]
  ${IMPORT_USAGE.split('\n').join('\n  ')}
  ${EXPORT_USAGE.split('\n').join('\n  ')}

Configuration comes from the environment (see README.md): DATABASE_URL, DATA_DIR, PORT, …`;

/** Creates the first administrator on an empty database; returns the password to show, if generated. */
async function ensureFirstAdmin(db: Db, config: Config): Promise<{ email: string; password: string | null } | null> {
  const users = new UsersService(db, config);
  if ((await users.count()) > 0) return null;
  const email = config.adminEmail ?? 'admin@switchboard.local';
  const generated = config.adminPassword ? null : generatePassword();
  await users.create(null, {
    email,
    password: config.adminPassword ?? generated!,
    role: 'admin',
    firstName: 'Admin',
    lastName: '',
  });
  return { email, password: generated };
}

/** How many server processes `serve --workers` asks for: a number, or `auto` (the cores). */
function parseWorkers(value: string | undefined): number {
  if (value === undefined) return 1;
  if (value === 'auto') return availableParallelism();
  if (!/^\d{1,3}$/.test(value) || Number(value) < 1 || Number(value) > 256) {
    throw new UsageError('--workers must be a number from 1 to 256, or auto (one per core)');
  }
  return Number(value);
}

function banner(config: Config, admin: { email: string; password: string | null } | null, workers: number): string {
  const url = config.publicUrl ?? `http://localhost:${config.port}`;
  const lines = [
    '',
    `  Switchboard is running: ${url}`,
    `  Database: ${config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${config.dataDir}`}`,
    `  Server processes: ${workers}`,
    `  Runtime: ${process.env.SWITCHBOARD_RUNTIME === 'source' ? 'TypeScript sources through tsx (run `npm run build` for the compiled server)' : 'compiled JavaScript (dist/server)'}`,
    `  API docs: ${url}/docs`,
  ];
  if (admin) {
    lines.push(`  First administrator: ${admin.email}`);
    lines.push(
      admin.password
        ? `  Password (shown once, change it after signing in): ${admin.password}`
        : '  Password: as set in SWITCHBOARD_ADMIN_PASSWORD',
    );
  } else {
    lines.push('  Sign in with your administrator account.');
  }
  return lines.join('\n') + '\n\n';
}

async function serve(config: Config, workers: number): Promise<void> {
  if (cluster.isWorker) return serveOne(config, { worker: true });
  if (workers > 1 && !config.databaseUrl) {
    process.stderr.write(
      `The embedded database (PGlite) can be opened by one process only: running 1 server process, not ${workers}.\n` +
        'Set DATABASE_URL (PostgreSQL) to run several.\n',
    );
    workers = 1;
  }
  if (workers <= 1) return serveOne(config, { worker: false });
  return servePrimary(config, workers);
}

/**
 * One server process: the whole app. SIGTERM (or SIGINT) drains it: /readyz
 * turns 503, claimed jobs go back to the queue, event streams end with a short
 * retry hint, the listener closes, in-flight requests finish (at most
 * SHUTDOWN_TIMEOUT_SECONDS), the modules' shutdown hooks run, then it exits 0.
 */
async function serveOne(config: Config, opts: { worker: boolean }): Promise<void> {
  const db = await openDatabase(config);
  // Workers find the schema migrated by the primary; a lone process migrates itself.
  if (!opts.worker) await migrate(db);
  const admin = opts.worker ? null : await ensureFirstAdmin(db, config);
  const replica = config.database.replicaUrl
    ? new ReplicaRouter(
        db,
        openPostgres({
          url: config.database.replicaUrl,
          poolSize: config.pgPoolSize,
          statementTimeoutMs: config.statementTimeoutMs,
          pooler: config.database.pooler,
          application: 'switchboard-replica-reads',
        }),
        systemClock,
        { maxLagMs: config.database.replicaMaxLagMs, readYourWritesMs: config.database.readYourWritesMs },
      )
    : undefined;
  const { app } = await buildApp(db, config, { replica });
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal, pid: process.pid }, 'shutting down: draining requests');
    const force = setTimeout(() => {
      app.log.error('requests did not finish in time; exiting anyway');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    force.unref();
    try {
      await app.close();
      await db.close();
    } finally {
      process.exit(0);
    }
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  await app.listen({ port: config.port, host: config.host });
  if (!opts.worker) process.stdout.write(banner(config, admin, 1));
}

/**
 * The cluster's primary (node:cluster): migrates, creates the first
 * administrator, forks the workers (they share the port; the primary hands out
 * connections round-robin) and replaces a worker that dies. SIGTERM stops every
 * worker gracefully; SIGHUP replaces them one at a time (a rolling restart: the
 * next is stopped only once its replacement listens).
 */
async function servePrimary(config: Config, workers: number): Promise<void> {
  const admin = await withDb(config, (db) => ensureFirstAdmin(db, config));
  let stopping = false;
  const live = new Set<Worker>();
  const fork = () =>
    new Promise<Worker>((resolve, reject) => {
      const w = cluster.fork();
      live.add(w);
      w.once('listening', () => resolve(w));
      w.once('exit', (code, signal) => {
        live.delete(w);
        reject(new Error(`worker exited before listening (${signal ?? code})`));
        if (!stopping && !w.exitedAfterDisconnect && !replacing.has(w)) {
          process.stderr.write(`Server process ${w.process.pid} exited (${signal ?? code}); starting another.\n`);
          setTimeout(() => void fork().catch(() => undefined), 1000).unref();
        }
      });
    });
  const replacing = new Set<Worker>();
  const stopWorker = (w: Worker) =>
    new Promise<void>((resolve) => {
      if (w.process.exitCode !== null || w.isDead()) return resolve();
      w.once('exit', () => resolve());
      w.process.kill('SIGTERM');
    });
  await Promise.all(Array.from({ length: workers }, fork));
  process.stdout.write(banner(config, admin, workers));

  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await Promise.all([...live].map(stopWorker));
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
  process.on('SIGHUP', () => {
    void (async () => {
      for (const old of [...live]) {
        if (stopping) return;
        replacing.add(old);
        await fork();
        await stopWorker(old);
      }
      process.stderr.write('Rolling restart done.\n');
    })().catch((err) => process.stderr.write(`Rolling restart failed: ${(err as Error).message}\n`));
  });
}

async function withDb<T>(config: Config, fn: (db: Db) => Promise<T>, migrateFirst = true): Promise<T> {
  const db = await openDatabase(config);
  try {
    if (migrateFirst) await migrate(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command = 'serve', sub, ...rest] = argv;
  if (command === '--help' || command === 'help' || command === '-h') {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const config = loadConfig();
  switch (command) {
    case 'serve': {
      const { values } = parseArgs({
        args: [sub, ...rest].filter((a) => a !== undefined),
        options: { workers: { type: 'string' } },
      });
      await serve(config, parseWorkers(values.workers));
      return -1; // keep running
    }
    case 'migrate': {
      const { applied } = await withDb(config, (db) => migrate(db), false);
      process.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'Database is up to date.\n');
      return 0;
    }
    case 'user': {
      if (sub !== 'create') break;
      const { values } = parseArgs({
        args: rest,
        options: {
          email: { type: 'string' },
          role: { type: 'string', default: 'agent' },
          password: { type: 'string' },
          'first-name': { type: 'string' },
          'last-name': { type: 'string' },
        },
      });
      if (!values.email) throw new UsageError('--email is required');
      if (!['admin', 'supervisor', 'agent'].includes(values.role!))
        throw new UsageError('--role must be admin, supervisor or agent');
      const password = values.password ?? generatePassword();
      await withDb(config, (db) =>
        new UsersService(db, config).create(null, {
          email: values.email!,
          password,
          role: values.role as Role,
          firstName: values['first-name'],
          lastName: values['last-name'],
        }),
      );
      process.stdout.write(
        `Created ${values.role} ${values.email}${values.password ? '' : `, password: ${password}`}\n`,
      );
      return 0;
    }
    case 'api-key': {
      if (sub !== 'create') break;
      const { values } = parseArgs({
        args: rest,
        options: { email: { type: 'string' }, scope: { type: 'string', default: 'full' }, name: { type: 'string' } },
      });
      if (!values.email) throw new UsageError('--email is required');
      if (values.scope !== 'full' && values.scope !== 'lookup') throw new UsageError('--scope must be full or lookup');
      const created = await withDb(config, (db) => {
        const users = new UsersService(db, config);
        return new AuthService(db, config, users).createApiKey(null, {
          email: values.email,
          scope: values.scope as 'full' | 'lookup',
          name: values.name ?? `cli-${values.scope}`,
        });
      });
      process.stdout.write(`${created.key}\n`);
      process.stderr.write(
        `API key ${created.id} (scope ${created.scopes.join(',')}) for ${values.email}; shown once.\n`,
      );
      return 0;
    }
    case 'backup':
    case 'restore': {
      const { values, positionals } = parseArgs({
        args: [sub, ...rest].filter((a) => a !== undefined),
        options: { from: { type: 'string' }, 'api-key': { type: 'string' } },
        allowPositionals: true,
      });
      if (positionals.length !== 1) throw new UsageError(`${command} needs one FILE`);
      if ((values.from === undefined) !== (values['api-key'] === undefined))
        throw new UsageError('--from and --api-key go together');
      try {
        const message =
          command === 'backup'
            ? await backupCommand(
                config,
                positionals[0],
                values.from ? { url: values.from, apiKey: values['api-key']! } : undefined,
              )
            : await restoreCommand(config, positionals[0]);
        process.stdout.write(`${message}\n`);
        return 0;
      } catch (err) {
        if (err instanceof BackupError) {
          process.stderr.write(`${err.message}\n`);
          return 1;
        }
        throw err;
      }
    }
    case 'import':
      try {
        return await importCommand(
          config,
          [sub, ...rest].filter((a) => a !== undefined),
        );
      } catch (err) {
        if (err instanceof ImportUsageError) throw new UsageError(err.message);
        throw err;
      }
    case 'export':
      try {
        return await exportCommand(
          config,
          [sub, ...rest].filter((a) => a !== undefined),
        );
      } catch (err) {
        if (err instanceof ExportUsageError) throw new UsageError(err.message);
        throw err;
      }
  }
  throw new UsageError(`unknown command: ${argv.join(' ')}`);
}

class UsageError extends Error {}

export async function runCli(argv: string[]): Promise<void> {
  try {
    const code = await main(argv);
    if (code >= 0) process.exit(code);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof DataDirLockedError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n\n${USAGE}\n`);
      process.exit(64);
    }
    if (err instanceof AppError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(65);
    }
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  }
}
