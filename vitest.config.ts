import { configDefaults, defineConfig } from 'vitest/config';
import { SlowFirstSequencer } from './test/support/slow-first-sequencer.js';

const timeouts = { testTimeout: 30_000, hookTimeout: 30_000 };

/** Files that assert pacing to a few milliseconds (calls per sliding second, notice margins, claims held for a slot). */
const PACED_FILES = [
  'test/integration/call-pacer.test.ts',
  'test/integration/throttle-waiting-claims.test.ts',
  'test/integration/close-waiting-claims.test.ts',
  'test/integration/pacer-slow-fsync.test.ts',
  'test/integration/pipeline-processes.test.ts',
  'test/integration/held-up-worker.test.ts',
  'test/integration/control-durability.test.ts',
];

export default defineConfig({
  test: {
    // Runs once for the projects below; what it provides reaches them all.
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
      // The files whose assertions are on a few milliseconds of pacing keep a fresh process each:
      // not to run beside what an earlier file left behind in its process (a client closing, a timer).
      { test: { ...timeouts, name: 'paced', include: [...PACED_FILES] } },
      // The rest share their worker processes too: a fresh process per file spent ~40% of their CPU
      // importing their modules again (docs/benchmarks.md, "Session 26: the suite's time").
      { test: { ...timeouts, name: 'integration', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, 'test/unit/**', ...PACED_FILES], isolate: false } },
    ],
  },
});
