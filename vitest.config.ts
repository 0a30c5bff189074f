import { defineConfig } from 'vitest/config';
import { SlowFirstSequencer } from './test/support/slow-first-sequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration files share one private Redis; each test uses its own key prefix.
    fileParallelism: true,
    maxWorkers: 2,
    sequence: { sequencer: SlowFirstSequencer },
  },
});
