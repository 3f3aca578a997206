import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // With TEST_DATABASE_POOLER=transaction: one PgBouncer in front of TEST_DATABASE_URL for the run.
    globalSetup: ['test/infra/pooler-setup.ts'],
    testTimeout: 60_000,
    // Suites that spawn servers (e2e, CLI) start them in hooks; a start can be slow on a busy two-core machine.
    hookTimeout: 180_000,
    pool: 'forks',
    // Two cores: two files at a time, each with its own database.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
