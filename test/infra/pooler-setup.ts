import type { TestProject } from 'vitest/node';
import { startPgbouncer } from './pgbouncer.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The port of the suite's PgBouncer (TEST_DATABASE_POOLER=transaction), else null. */
    pgbouncerPort: number | null;
  }
}

/**
 * Vitest global setup. With TEST_DATABASE_URL and TEST_DATABASE_POOLER=transaction, one
 * PgBouncer in transaction mode in front of that PostgreSQL for the whole run; test/helpers.ts
 * then opens every test database through it, as a deployment with DATABASE_POOLER=transaction.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const mode = process.env.TEST_DATABASE_POOLER;
  const base = process.env.TEST_DATABASE_URL;
  if (!mode || mode === 'none') {
    project.provide('pgbouncerPort', null);
    return undefined;
  }
  if (mode !== 'transaction' || !base) {
    throw new Error('TEST_DATABASE_POOLER=transaction needs TEST_DATABASE_URL (and is the only pooler mode tested)');
  }
  // Two files run at once, each with a pool of 10 plus, in the multi-process tests, a few servers with
  // pools of their own: 20 server connections per test database; clients beyond that queue briefly.
  const bouncer = await startPgbouncer(base, { poolSize: 20, maxClientConn: 1000 });
  project.provide('pgbouncerPort', bouncer.port);
  return () => bouncer.stop();
}
