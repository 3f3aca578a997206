import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, lockDataDir, type DataDirLock } from './lock.js';

/** A pid no process has (above Linux's pid_max). */
const DEAD_PID = 999_999_999;
const ROOT = path.resolve(import.meta.dirname, '..', '..');

describe('the embedded database lock (issue 16, defect 4)', () => {
  const dirs: string[] = [];
  const held: DataDirLock[] = [];
  const dir = () => {
    const d = mkdtempSync(path.join(tmpdir(), 'sb-lock-'));
    dirs.push(d);
    return d;
  };
  const staleLockIn = (d: string) => writeFileSync(path.join(d, 'switchboard.lock'), String(DEAD_PID));
  afterEach(() => {
    for (const l of held.splice(0)) l.release();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('refuses a second opener while the holder lives, and takes over a dead holder', () => {
    const d = dir();
    held.push(lockDataDir(d));
    expect(() => lockDataDir(d, { pid: process.ppid })).toThrow(DataDirLockedError);
    held.pop()!.release();
    expect(existsSync(path.join(d, 'switchboard.lock'))).toBe(false);
    staleLockIn(d);
    held.push(lockDataDir(d));
    expect(readFileSync(path.join(d, 'switchboard.lock'), 'utf8')).toMatch(new RegExp(`^${process.pid} `));
  });

  it('two takers of one stale lock, interleaved at the takeover: exactly one holds it', () => {
    const d = dir();
    staleLockIn(d);
    // The second taker (a live process: our parent's pid) saw the same stale lock and finishes its takeover first.
    let second: DataDirLock | null = null;
    const first = () =>
      lockDataDir(d, {
        beforeTakeover: () => {
          second ??= lockDataDir(d, { pid: process.ppid });
        },
      });
    expect(first).toThrow(DataDirLockedError);
    expect(second).not.toBeNull();
    held.push(second!);
    expect(readFileSync(path.join(d, 'switchboard.lock'), 'utf8')).toMatch(new RegExp(`^${process.ppid} `));
    expect(existsSync(path.join(d, 'switchboard.lock.takeover'))).toBe(false);
  });

  it('a taker that finds another takeover in progress is refused', () => {
    const d = dir();
    staleLockIn(d);
    writeFileSync(path.join(d, 'switchboard.lock.takeover'), `${process.ppid} x`);
    expect(() => lockDataDir(d)).toThrow(DataDirLockedError);
  });

  it('two processes starting together after a crash: one opens, the other is refused', async () => {
    const d = dir();
    staleLockIn(d);
    // Each child waits for "go" on stdin, tries the lock, reports, and holds it until stdin closes.
    const script =
      "import('./src/db/lock.ts').then(async (m) => {" +
      "  const lines = process.stdin.setEncoding('utf8');" +
      "  await new Promise((r) => lines.once('data', r));" +
      '  try { m.lockDataDir(process.env.DIR); console.log("locked " + process.pid); }' +
      '  catch (e) { console.log("refused " + (e.pid ?? e.message)); }' +
      "  process.stdin.on('end', () => process.exit(0)); process.stdin.resume();" +
      '});';
    const children = [0, 1].map(() => {
      const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, DIR: d },
      });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      const reported = new Promise<string>((resolve) => {
        child.stdout.on('data', () => {
          if (out.includes('\n')) resolve(out.trim());
        });
        child.on('exit', () => resolve(out.trim()));
      });
      return { child, reported };
    });
    // Both are running (tsx loaded) once they read stdin: start them at once.
    for (const c of children) c.child.stdin.write('go\n');
    const results = await Promise.all(children.map((c) => c.reported));
    for (const c of children) c.child.stdin.end();
    await Promise.all(children.map((c) => once(c.child, 'exit')));
    const locked = results.filter((r) => r.startsWith('locked'));
    expect(locked, results.join(' | ')).toHaveLength(1);
    const winner = locked[0].split(' ')[1];
    expect(
      results.filter((r) => r === `refused ${winner}`),
      results.join(' | '),
    ).toHaveLength(1);
  }, 60_000);
});
