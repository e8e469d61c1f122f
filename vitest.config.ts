import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The Temporal worker's native module does not load under worker threads.
    pool: 'forks',
    // Most test time is spent waiting on tokens to age; run files side by side even on 2 cores.
    maxWorkers: 3,
    globalSetup: ['test/support/globalSetup.ts'],
    testTimeout: 90_000,
    hookTimeout: 120_000,
    // The default reporter's summary ends with the passed/failed counts (.ci/run reads them).
    reporters: ['default'],
  },
});
