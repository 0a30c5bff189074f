import { configDefaults, defineConfig } from 'vitest/config';
import { SlowFirstSequencer } from './test/support/slow-first-sequencer.js';

const timeouts = { testTimeout: 30_000, hookTimeout: 30_000 };

export default defineConfig({
  test: {
    // Runs once for both projects below; what it provides reaches them all.
    globalSetup: ['test/support/global-setup.ts'],
    ...timeouts,
    // Integration files share one private Redis; each test uses its own key prefix. Three files at
    // a time on a 2-core machine: most of a file's time is spent waiting (programs starting, Redis
    // restarts, timeouts it waits out), not on the CPU (docs/development.md).
    fileParallelism: true,
    maxWorkers: 3,
    sequence: { sequencer: SlowFirstSequencer },
    projects: [
      // The unit files share their worker processes: each file in a fresh process paid the import
      // of its modules again, half of their CPU (docs/benchmarks.md, "Session 25: the suite's time").
      { test: { ...timeouts, name: 'unit', include: ['test/unit/**/*.test.ts'], isolate: false } },
      // The others keep a fresh process per file: they start servers, workers and timers, and the
      // timing tests among them are not to run beside what an earlier file left behind.
      { test: { ...timeouts, name: 'isolated', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, 'test/unit/**'] } },
    ],
  },
});
