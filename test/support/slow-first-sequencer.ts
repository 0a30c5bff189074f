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
 * Slowest first, by their time in a whole run at b9e3265 (session 26, load ~6; each 30 s or more),
 * after the two that build the package and the compiled CLI before their first test.
 */
export const SLOW_FILES: readonly string[] = [
  'test/integration/package.test.ts',
  'test/integration/compiled-cli.test.ts',
  'test/integration/redis-topology.test.ts',
  'test/integration/durability-crash.test.ts',
  'test/integration/docs-examples-cli.test.ts',
  'test/integration/docs-examples.test.ts',
  'test/integration/cli-outage.test.ts',
  // Timed alone (42 s: Sentinel refreshes what it knows of replicas every 10 s).
  'test/integration/sentinel-promotion-order.test.ts',
  // Timed alone (42 s: a TLS Sentinel deployment, a failover among its tests).
  'test/integration/sentinel-url-tls.test.ts',
  'test/integration/withdrawn-retry.test.ts',
  'test/integration/control-durability.test.ts',
  'test/integration/durability-recheck.test.ts',
  // Timed alone (33 s).
  'test/integration/replicas-primary-restart.test.ts',
  'test/integration/dysmsapi-unreachable.test.ts',
  'test/integration/docs-examples-server.test.ts',
  'test/integration/pipeline-processes.test.ts',
  'test/integration/durability-waitaof.test.ts',
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
