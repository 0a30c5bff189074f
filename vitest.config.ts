import { defineConfig } from 'vitest/config';
import { SlowFirstSequencer } from './test/support/slow-first-sequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration files share one private Redis; each test uses its own key prefix. Three files at
    // a time on a 2-core machine: most of a file's time is spent waiting (programs starting, Redis
    // restarts, timeouts it waits out), not on the CPU (docs/development.md).
    fileParallelism: true,
    maxWorkers: 3,
    sequence: { sequencer: SlowFirstSequencer },
  },
});
