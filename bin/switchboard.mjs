#!/usr/bin/env node
// The CLI entry: runs the TypeScript sources through tsx (no separate build step).
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/main.ts');
await runCli(process.argv.slice(2));
