import { defineConfig } from 'vitest/config';

/**
 * Files run again on the postgres engine (the production shape: the Temporal server's own services and
 * FerretDB on PostgreSQL): the lifecycle end to end, and the faults whose handling depends on the servers.
 */
const ON_POSTGRES = ['test/riveryFlow.test.ts', 'test/keepFresh.test.ts', 'test/faultTolerance.test.ts'];

export default defineConfig({
  test: {
    // The Temporal worker's native module does not load under worker threads.
    pool: 'forks',
    // Most test time is spent waiting on tokens to age; run files side by side even on 2 cores (both projects' files share these).
    maxWorkers: 3,
    testTimeout: 90_000,
    hookTimeout: 120_000,
    // The default reporter's summary ends with the passed/failed counts (.ci/run reads them).
    reporters: ['default'],
    // Each project starts its own stack (test/support/globalSetup.ts) on its engine.
    projects: [
      {
        extends: true,
        test: {
          name: 'sqlite',
          include: ['test/**/*.test.ts'],
          globalSetup: ['test/support/globalSetup.ts'],
          provide: { engine: 'sqlite' },
        },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: ON_POSTGRES,
          globalSetup: ['test/support/globalSetup.ts'],
          provide: { engine: 'postgres' },
        },
      },
    ],
  },
});
