/**
 * `smsq worker` on a Redis Cluster whose master serving smsq's keys is SIGKILLed and whose replica
 * is promoted, then stopped with SIGTERM, nothing in flight: it stops at once, exit 0. It waited
 * out its whole 25 s grace and exited 3 ("grace period over" with nothing in flight): BullMQ's
 * Worker.close() waited for its blocking BZPOPMIN, retried by ioredis during the failover and
 * queued for ever in a Cluster disconnected, whose status a node ending late had turned back from
 * `end` to `close` (droppable-cluster.ts, keepEnded). Real redis-server processes
 * (test/support/redis-topology.ts), the real CLI in its own process.
 */
import { describe, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { SPAWNED_MS, spawnSmsq, untilExited, type CliProcess } from '../support/cli-process.js';
import { startClusterDeployment } from '../support/redis-topology.js';
import { waitFor } from '../support/wait.js';

const PREFIX = '{cluster-failover-close}';
/** The grace the worker is given; a close that waits it out fails the test. */
const GRACE_MS = 25_000;

describe('smsq worker stopped after the master of its slot was SIGKILLed', () => {
  // Side by side: each test has its own Cluster, emulator and processes, and most of its time is
  // spent waiting on them (the Cluster forming, the replica syncing, the promotion).
  for (const when of ['at once', 'once the replica is promoted'] as const) {
    it.concurrent(`SIGTERM ${when}: the worker stops well within its grace, exit 0`, async ({ expect }) => {
      const emulator = createEmulator({ delivery: { delayMs: 0 } });
      const { endpoint } = await emulator.listen();
      const cluster = await startClusterDeployment();
      const children: CliProcess[] = [];
      try {
        const smsq = (args: string[], extra: NodeJS.ProcessEnv = {}) => {
          const p = spawnSmsq(args, {
            REDIS_URL: cluster.url,
            SMSQ_PREFIX: PREFIX,
            SMS_MODE: 'sandbox',
            SMS_ENDPOINT: endpoint,
            LOG_LEVEL: 'warn',
            SMSQ_QUIET_HOURS: 'off',
            // A promoted replica may lack acknowledged writes, and after the kill it has no replica for WAIT.
            SMSQ_DURABILITY: 'none',
            SMSQ_SHUTDOWN_GRACE_MS: String(GRACE_MS),
            ...extra,
          });
          children.push(p);
          return p;
        };
        const servingPort = await cluster.portServing(PREFIX);
        const serving = cluster.masters.find((m) => m.port === servingPort)!;
        const replica = await cluster.addReplica(serving);
        const worker = smsq(['worker', '--concurrency', '2'], { LOG_LEVEL: 'info' });
        await untilExited(worker, waitFor(() => /smsq worker running/.test(worker.stderr), 'the worker to run', SPAWNED_MS));
        const sent = smsq(['send', '--phones', '13800138015', '--sign', N.sign, '--template', N.notificationTemplate, '--param', '{"name":"Ada","order":"A1"}', '--yes', '--wait', '--timeout', '60s']);
        expect(await sent.exited, sent.stderr).toBe(EXIT.ok);
        await serving.kill();
        if (when !== 'at once') {
          await waitFor(async () => ((await cluster.portServing(PREFIX).catch(() => undefined)) === replica.port ? true : undefined), 'the Cluster to promote the replica', 30_000);
        }
        const stopAt = Date.now();
        worker.child.kill('SIGTERM');
        const code = await worker.exited;
        expect(worker.stderr).not.toContain('grace period over');
        expect(code, worker.stderr).toBe(EXIT.ok);
        expect(Date.now() - stopAt, 'ms from SIGTERM to exit').toBeLessThan(GRACE_MS / 2);
      } finally {
        for (const c of children) c.child.kill('SIGKILL');
        await cluster.stop();
        await emulator.close();
      }
    }, 2 * SPAWNED_MS + GRACE_MS);
  }
});
