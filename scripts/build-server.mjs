#!/usr/bin/env node
// Compiles the server (src/ → dist/server/) so that production runs plain JavaScript, and copies
// the files the compiled code reads beside itself (SQL migrations, the email parser's worker).
// Last it writes dist/server/.built: bin/switchboard.mjs runs the compiled server only while
// that stamp is newer than every file under src/.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'src');
const OUT = path.join(ROOT, 'dist', 'server');

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

/** Everything under src/ that is not TypeScript and not a checked-in SQL snapshot (those are for review). */
function copyAssets(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const from = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'snapshots') copyAssets(from);
    } else if (!entry.name.endsWith('.ts')) {
      const to = path.join(OUT, path.relative(SRC, from));
      mkdirSync(path.dirname(to), { recursive: true });
      copyFileSync(from, to);
    }
  }
}
copyAssets(SRC);
writeFileSync(path.join(OUT, '.built'), `${new Date().toISOString()}\n`);
