/**
 * `smsq worker` on a Redis Cluster whose master serving smsq's keys is SIGKILLed and whose replica
 * is promoted, then stopped with SIGTERM, nothing in flight: it stops at once, exit 0. It waited
 * out its whole 25 s grace and exited 3 ("grace period over" with nothing in flight): BullMQ's
 * Worker.close() waited for its blocking BZPOPMIN, retried by ioredis during the failover and
 * queued for ever in a Cluster disconnected, whose status a node ending late had turned back from
 * `end` to `close` (droppable-cluster.ts, keepEnded). And a worker whose blocking connection BullMQ
 * reset while the Cluster was down: that connect's ready check failed, ioredis dropped its promise,
 * and BullMQ's fetch loop for the queue waited on it for ever, the failover over (no job taken
 * after it, and the same 25 s grace waited out). Real redis-server processes
 * (test/support/redis-topology.ts), the real CLI in its own process.
 */
import { describe, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { SPAWNED_MS, spawnSmsq, untilExited, type CliProcess } from '../support/cli-process.js';
import { watchNodeCommands, type NodeCommands } from '../support/node-commands.js';
import { startClusterDeployment, type ClusterDeployment, type RedisNode } from '../support/redis-topology.js';
import { waitFor } from '../support/wait.js';
import { clusterState, onNode, slotsName } from '../support/node-admin.js';
import { CALLS_QUEUE, HOUSEKEEPING_QUEUE } from '../../src/queue/keys.js';

const PREFIX = '{cluster-failover-close}';
/** The grace the worker is given; a close that waits it out fails the test. */
const GRACE_MS = 25_000;

/** A fresh Cluster whose master serving smsq's keys has a replica, and `smsq` run on it. */
interface Deployment {
  cluster: ClusterDeployment;
  serving: RedisNode;
  replica: RedisNode;
  /** `smsq args` on the Cluster, sending through an emulator of its own. */
  smsq(args: string[], extra?: NodeJS.ProcessEnv): CliProcess;
}

/** `use` on a fresh {@link Deployment}; every process it started is killed after, and the Cluster stopped. */
async function onDeployment(use: (d: Deployment) => Promise<void>): Promise<void> {
  const emulator = createEmulator({ delivery: { delayMs: 0 } });
  const { endpoint } = await emulator.listen();
  const cluster = await startClusterDeployment();
  const children: CliProcess[] = [];
  try {
    const servingPort = await cluster.portServing(PREFIX);
    const serving = cluster.masters.find((m) => m.port === servingPort)!;
    const replica = await cluster.addReplica(serving);
    const smsq = (args: string[], extra: NodeJS.ProcessEnv = {}): CliProcess => {
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
    await use({ cluster, serving, replica, smsq });
  } finally {
    for (const c of children) c.child.kill('SIGKILL');
    await cluster.stop();
    await emulator.close();
  }
}

/** `smsq worker`, once it says it runs. */
async function runningWorker(smsq: Deployment['smsq']): Promise<CliProcess> {
  const worker = smsq(['worker', '--concurrency', '2'], { LOG_LEVEL: 'info' });
  await untilExited(worker, waitFor(() => /smsq worker running/.test(worker.stderr), 'the worker to run', SPAWNED_MS));
  return worker;
}

/** `smsq send` of one notification to `phone`, waiting for it to be sent. */
const sendWaiting = (phone: string) => ['send', '--phones', phone, '--sign', N.sign, '--template', N.notificationTemplate, '--param', '{"name":"Ada","order":"A1"}', '--yes', '--wait', '--timeout', '60s'];

describe('smsq worker stopped after the master of its slot was SIGKILLed', () => {
  // Side by side: each test has its own Cluster, emulator and processes, and most of its time is
  // spent waiting on them (the Cluster forming, the replica syncing, the promotion).
  for (const when of ['at once', 'once the replica is promoted'] as const) {
    it.concurrent(`SIGTERM ${when}: the worker stops well within its grace, exit 0`, async ({ expect }) => {
      await onDeployment(async ({ cluster, serving, replica, smsq }) => {
        const worker = await runningWorker(smsq);
        const sent = smsq(sendWaiting('13800138015'));
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
      });
    }, 2 * SPAWNED_MS + GRACE_MS);
  }
});

describe('smsq worker whose blocking connection reconnected while the Cluster was down', () => {
  it('its ready check answered cluster_state:fail, then the master was killed and its replica promoted: the worker sends again, and SIGTERM stops it well within its grace, exit 0', async ({ expect }) => {
    await onDeployment(async ({ cluster, serving, replica, smsq }) => {
      // Promoted when this test says (CLUSTER FAILOVER TAKEOVER): until then the Cluster stays down.
      await onNode(replica, (c) => c.config('SET', 'cluster-replica-no-failover', 'yes'));
      // Known to every master as the master's replica (gossip): else they ignored its takeover.
      for (const m of cluster.masters) await waitFor(() => slotsName(m, replica.port), `port ${m.port} to name the replica in CLUSTER SLOTS`, 20_000, 100);
      const worker = await runningWorker(smsq);
      const others = cluster.masters.filter((m) => m !== serving);
      // Once both of BullMQ's fetch loops are blocked on the master (BZPOPMIN): frozen before, it
      // held the worker's first commands, and no blocking connection was ever sent to it.
      const names = [CALLS_QUEUE, HOUSEKEEPING_QUEUE].map(blockingConnectionName);
      await seen(serving, (commands) => Promise.all(names.map((name) => commands.next(name, 'BZPOPMIN'))), "the worker's fetch loops to block on the master", SPAWNED_MS);
      // Frozen rather than killed: a BZPOPMIN sent to it goes unanswered, and BullMQ resets the
      // blocking connection (it ends it, then waits for the connect() it makes next), where a
      // refused one may only be retried.
      serving.freeze();
      await waitFor(async () => ((await Promise.all(others.map(clusterState))).every((s) => s === 'fail') ? true : undefined), 'cluster_state:fail on the masters left', 30_000);
      // From here a connect's ready check, CLUSTER INFO, answers cluster_state:fail. Either
      // queue's: which of the two BullMQ resets first varies.
      await seen(others, (commands) => Promise.race(names.map((name) => commands.next(name, 'CLUSTER INFO'))), "one of the worker's blocking connections to reconnect while the Cluster is down", 60_000);
      await serving.kill();
      await onNode(replica, (c) => c.call('CLUSTER', 'FAILOVER', 'TAKEOVER'));
      await waitFor(async () => ((await cluster.portServing(PREFIX).catch(() => undefined)) === replica.port ? true : undefined), 'the replica to serve the slot', 30_000);
      const sent = smsq(sendWaiting('13800138016'));
      expect.soft(await sent.exited, sent.stderr).toBe(EXIT.ok);
      worker.child.kill('SIGTERM');
      const code = await worker.exited;
      expect(worker.stderr).not.toContain('grace period over');
      expect(code, worker.stderr).toBe(EXIT.ok);
    });
  }, 3 * SPAWNED_MS + GRACE_MS);
});

/** The name BullMQ gives a worker's blocking connection on `queue`. */
const blockingConnectionName = (queue: string) => `${PREFIX}:${Buffer.from(queue).toString('base64')}`;

/** Resolves once `command` does on `nodes` (watched from now), or fails naming `what` after `timeoutMs`. */
async function seen(nodes: RedisNode | RedisNode[], command: (commands: NodeCommands) => Promise<unknown>, what: string, timeoutMs: number): Promise<void> {
  const commands = await watchNodeCommands(Array.isArray(nodes) ? nodes : [nodes]);
  try {
    let done = false;
    void command(commands).then(() => (done = true));
    await waitFor(() => done || undefined, what, timeoutMs);
  } finally {
    await commands.close();
  }
}
