/**
 * Test files in the order vitest would run them, except that the files known to take longest start
 * first. On a fresh clone vitest has no durations cached and runs larger files first; the slowest
 * files are small ones that run programs (every documented example, real failovers), so one of them
 * started last and the suite's wall time ended with it running alone on one of the two workers.
 * The list only orders: a file missing from it, or named and gone, changes nothing else.
 */
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Slowest first, by their time in a whole run at b14ef32 (session 34, load ~10; each 30 s or more
 * there), less what this session cut (the compiled CLI now runs the package test's build of dist/,
 * 128 -> ~20 s: left to vitest's order, so as not to wait at the start for that build; the sentinels
 * learn of a new replica within a second: sentinel-promotion-order 45 -> ~16 s). The two unit files
 * that keep a core busy for a minute under load (phone-set, xlsx-workbooks) ran last and ended the
 * run; they start among the slow ones now.
 */
export const SLOW_FILES: readonly string[] = [
  // Builds dist/ when it is stale (the compiled CLI waits for it), packs and installs the package.
  'test/integration/package.test.ts',
  'test/integration/redis-topology.test.ts',
  // Not beside the package test's build at the start: README's sandbox, run there, had 584 of its
  // 2,000 campaign recipients expire in session 34's whole run (load ~15); it passed starting later.
  'test/integration/durability-crash.test.ts',
  'test/integration/docs-examples-cli.test.ts',
  'test/integration/docs-examples.test.ts',
  'test/integration/cli-outage.test.ts',
  'test/integration/cluster-url-tls.test.ts',
  'test/integration/cluster-failover-close.test.ts',
  'test/integration/sentinel-replicas-all.test.ts',
  'test/unit/phone-set.test.ts',
  'test/unit/xlsx-workbooks.test.ts',
  'test/integration/durability-modes.test.ts',
  'test/integration/server-shutdown.test.ts',
  'test/integration/sentinel-url-tls.test.ts',
  'test/integration/withdrawn-retry.test.ts',
  'test/integration/docs-examples-server.test.ts',
  'test/integration/dysmsapi-unreachable.test.ts',
  'test/integration/durability-recheck.test.ts',
  'test/integration/library-worker.test.ts',
  'test/integration/close-waiting-claims.test.ts',
  'test/integration/pipeline-processes.test.ts',
  'test/integration/campaign-files.test.ts',
  'test/integration/control-durability.test.ts',
  'test/integration/sentinel-manual-failover.test.ts',
  'test/integration/report-durability.test.ts',
  'test/integration/replicas-primary-restart.test.ts',
  'test/integration/held-up-worker.test.ts',
  'test/integration/tracing-cli.test.ts',
  'test/integration/durability-waitaof.test.ts',
  'test/integration/throttle-waiting-lookups.test.ts',
  'test/integration/cli-module-loading.test.ts',
  'test/integration/status-watch-redis-restart.test.ts',
];

export class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification) => {
      const at = SLOW_FILES.indexOf(relative(this.ctx.config.root, spec.moduleId).split('\\').join('/'));
      return at < 0 ? SLOW_FILES.length : at;
    };
    // Array.prototype.sort is stable: the others keep vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
