import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * PGlite has no lock across processes: two processes writing one data directory
 * corrupt it silently. Whoever opens the embedded database first holds this
 * lock file until it exits; a second opener is refused with a clear message.
 */
export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `The embedded database in ${dataDir} is in use by another Switchboard process (pid ${pid}).\n` +
        'PGlite cannot be shared between processes: stop that process first, use the running ' +
        "server's console/API, or point DATABASE_URL at PostgreSQL.",
    );
  }
}

export interface DataDirLock {
  release(): void;
}

/** For tests: play another process (its pid) and interleave with a takeover at its one racy point. */
interface LockOptions {
  pid?: number;
  /** Called after a stale lock was seen and before it is taken over. */
  beforeTakeover?: () => void;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const code = (err: unknown) => (err as NodeJS.ErrnoException).code;

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if (code(err) === 'ENOENT') return null;
    throw err;
  }
}

const pidOf = (content: string) => Number(content.split(' ')[0]);

/**
 * Creates `file` holding `content`, atomically: the content is written to a
 * private file first and hard-linked into place (link fails if `file` exists),
 * so nobody ever sees a lock file without its pid.
 */
function createWith(file: string, content: string): boolean {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, content, { flag: 'wx' });
  try {
    linkSync(tmp, file);
    return true;
  } catch (err) {
    if (code(err) === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(tmp);
  }
}

/**
 * Locks the data directory. The lock file holds "pid nonce". A lock whose pid is
 * dead is stale and is taken over — atomically: a takeover first creates the
 * takeover file (`switchboard.lock.takeover`, O_EXCL semantics through a link),
 * then checks the lock still holds the very stale content it saw, and only then
 * replaces it. Two processes starting together after a crash therefore never
 * both hold the lock: the second finds the first's fresh lock (or its takeover
 * in progress) and is refused.
 */
export function lockDataDir(dataDir: string, opts: LockOptions = {}): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const pid = opts.pid ?? process.pid;
  const file = path.join(dataDir, 'switchboard.lock');
  const takeover = `${file}.takeover`;
  const mine = `${pid} ${randomBytes(8).toString('hex')}`;
  const held = (): DataDirLock => {
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      try {
        if (readOrNull(file) === mine) unlinkSync(file);
      } catch {
        /* already gone */
      }
    };
    if (opts.pid === undefined) process.once('exit', release);
    return { release };
  };

  for (let attempt = 0; attempt < 5; attempt++) {
    if (createWith(file, mine)) return held();
    const seen = readOrNull(file);
    if (seen === null) continue; // released meanwhile: try again
    const holder = pidOf(seen);
    if (Number.isInteger(holder) && holder > 0 && holder !== pid && isAlive(holder)) {
      throw new DataDirLockedError(dataDir, holder);
    }
    // A stale lock left by a process that died (or by this pid in an earlier life): take it over.
    opts.beforeTakeover?.();
    if (!createWith(takeover, mine)) {
      const taker = readOrNull(takeover);
      if (taker === null) continue;
      const takerPid = pidOf(taker);
      if (isAlive(takerPid) && takerPid !== pid) throw new DataDirLockedError(dataDir, takerPid);
      throw new Error(
        `A takeover of the lock on ${dataDir} by process ${takerPid} was interrupted. ` +
          `If no Switchboard process uses this directory, remove ${takeover} and start again.`,
      );
    }
    try {
      // Only the stale content we judged may be replaced: someone else may have taken over since.
      if (readOrNull(file) === seen) {
        unlinkSync(file);
        if (createWith(file, mine)) return held();
      }
    } finally {
      unlinkSync(takeover);
    }
  }
  throw new Error(`could not lock ${file}`);
}
