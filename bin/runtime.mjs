// Which code `switchboard` runs: the compiled server in dist/server (made by `npm run build`) when
// its stamp is newer than every file under src/, else the TypeScript sources through tsx.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

function newestUnder(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestUnder(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * 'compiled' or 'source' for the checkout at `root`. SWITCHBOARD_FROM_SOURCE=1 forces the sources;
 * a build older than any source file is never run, so an edited checkout cannot run stale code.
 * @param {string} root
 * @param {NodeJS.ProcessEnv} env
 * @returns {'compiled' | 'source'}
 */
export function chooseRuntime(root, env = process.env) {
  const stamp = path.join(root, 'dist', 'server', '.built');
  if (env.SWITCHBOARD_FROM_SOURCE === '1' || !existsSync(stamp)) return 'source';
  const src = path.join(root, 'src');
  return !existsSync(src) || statSync(stamp).mtimeMs >= newestUnder(src) ? 'compiled' : 'source';
}
