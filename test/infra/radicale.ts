import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './haproxy.js';

export const RADICALE_BIN = '/usr/bin/radicale';

export interface RunningRadicale {
  /** The server's root, e.g. http://127.0.0.1:5232 */
  url: string;
  username: string;
  password: string;
  /** Stops the server; its storage stays until `remove` (a restart serves the same address books). */
  stop(): Promise<void>;
  /** Starts it again on the same port and storage. */
  restart(): Promise<void>;
  /** Stops it and removes its folder. */
  remove(): Promise<void>;
}

/**
 * Debian's Radicale (a CardDAV server) on a free loopback port, with its own
 * storage folder and a plain htpasswd file with one user; each test file
 * starts its own.
 */
export async function startRadicale(): Promise<RunningRadicale> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-radicale-'));
  const port = await freePort();
  const username = 'agent';
  const password = 'radicale-secret';
  writeFileSync(path.join(dir, 'users'), `${username}:${password}\n`);
  const config = `
[server]
hosts = 127.0.0.1:${port}

[auth]
type = htpasswd
htpasswd_filename = ${path.join(dir, 'users')}
htpasswd_encryption = plain
delay = 0

[storage]
filesystem_folder = ${path.join(dir, 'collections')}

[logging]
level = warning
`;
  const file = path.join(dir, 'config');
  writeFileSync(file, config);
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;

  async function start(): Promise<void> {
    const proc = spawn(RADICALE_BIN, ['--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    for (let i = 0; ; i++) {
      if (proc.exitCode !== null) throw new Error(`radicale exited: ${out}`);
      const ok = await fetch(`${url}/.well-known/carddav`, { redirect: 'manual' }).then(
        () => true,
        () => false,
      );
      if (ok) return;
      if (i > 200) throw new Error(`radicale did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function stop(): Promise<void> {
    const proc = child;
    child = null;
    if (proc && proc.exitCode === null) {
      proc.kill('SIGTERM');
      await once(proc, 'exit');
    }
  }

  await start();
  return {
    url,
    username,
    password,
    stop,
    restart: start,
    async remove() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
