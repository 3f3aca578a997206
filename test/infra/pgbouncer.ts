import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './haproxy.js';

export const PGBOUNCER_BIN = '/usr/sbin/pgbouncer';

export interface RunningPgbouncer {
  port: number;
  /** `directUrl` with host and port replaced by the pooler's. */
  urlFor(directUrl: string): string;
  stop(): Promise<void>;
}

/**
 * Debian's PgBouncer in transaction mode in front of the PostgreSQL of `directUrl`,
 * by default with a small server pool per database (so consecutive transactions of
 * one client really land on different server connections). Started as root it drops
 * to the postgres user.
 */
export async function startPgbouncer(
  directUrl: string,
  { poolSize = 3, maxClientConn = 200 }: { poolSize?: number; maxClientConn?: number } = {},
): Promise<RunningPgbouncer> {
  const direct = new URL(directUrl);
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-pgbouncer-'));
  chmodSync(dir, 0o755);
  const port = await freePort();
  const user = decodeURIComponent(direct.username || 'postgres');
  writeFileSync(path.join(dir, 'userlist.txt'), `"${user}" ""\n`);
  const cfg = `[databases]
* = host=${direct.hostname} port=${direct.port || 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir =
auth_type = trust
# The admin console (database pgbouncer: SHOW CLIENTS) lets a test see who goes through it.
admin_users = ${user}
auth_file = ${path.join(dir, 'userlist.txt')}
pool_mode = transaction
default_pool_size = ${poolSize}
max_client_conn = ${maxClientConn}
ignore_startup_parameters = extra_float_digits
${process.getuid?.() === 0 ? 'user = postgres' : ''}
`;
  const file = path.join(dir, 'pgbouncer.ini');
  writeFileSync(file, cfg);
  const child: ChildProcess = spawn(PGBOUNCER_BIN, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited: ${out}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (up) break;
    if (i > 100) throw new Error(`pgbouncer did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    urlFor(url: string) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
