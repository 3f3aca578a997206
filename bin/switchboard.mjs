#!/usr/bin/env node
// The CLI entry. Production runs the compiled server (dist/server; `npm start` builds it first);
// a checkout edited after its last build, or SWITCHBOARD_FROM_SOURCE=1, runs the TypeScript
// sources through tsx instead (see bin/runtime.mjs).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chooseRuntime } from './runtime.mjs';

const runtime = chooseRuntime(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'));
process.env.SWITCHBOARD_RUNTIME = runtime;
let main;
if (runtime === 'compiled') {
  main = await import('../dist/server/main.js');
} else {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    console.error('switchboard: there is no current build in dist/server: run `npm run build` first.');
    process.exit(1);
  }
  register();
  main = await import('../src/main.ts');
}
await main.runCli(process.argv.slice(2));
