/**
 * connect() of smsq's Cluster connection (droppable-cluster.ts) while the Cluster is down: its
 * ready check, CLUSTER INFO, answers `cluster_state:fail` (a master dead, its replica not promoted
 * yet), and ioredis reconnects by itself. The promise settles all the same: once the Cluster is
 * ready (the replica promoted), or once the connection is ended. ioredis 5.11 dropped it, and it
 * never settled: BullMQ awaits it when it resets a blocking connection, and a worker's fetch loop
 * waited for ever after a failover (test/integration/cluster-failover-close.test.ts).
 * Real redis-server processes (test/support/redis-topology.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from 'ioredis';
import { createRedisConnection } from '../../src/queue/connection.js';
import { startClusterDeployment, type ClusterDeployment, type RedisNode } from '../support/redis-topology.js';
import { waitFor } from '../support/wait.js';
import { clusterState, onNode, slotsName } from '../support/node-admin.js';

let deployment: ClusterDeployment;
let replica: RedisNode;

beforeAll(async () => {
  deployment = await startClusterDeployment();
  const master = deployment.masters[0]!;
  replica = await deployment.addReplica(master);
  // Promoted when a test says (CLUSTER FAILOVER TAKEOVER): until then the Cluster stays down.
  await onNode(replica, (c) => c.config('SET', 'cluster-replica-no-failover', 'yes'));
  // Known to every master as the master's replica (gossip): else they ignored its takeover.
  for (const m of deployment.masters) await waitFor(() => slotsName(m, replica.port), `port ${m.port} to name the replica in CLUSTER SLOTS`, 20_000, 100);
  await master.kill();
  const others = deployment.masters.slice(1);
  await waitFor(async () => ((await Promise.all(others.map(clusterState))).every((s) => s === 'fail') ? true : undefined), 'cluster_state:fail on the masters left', 30_000);
}, 90_000);

afterAll(async () => {
  await deployment?.stop();
});

/** A connection not yet connected, its connect() started, and the settling of its promise. */
function connecting(): { cluster: Cluster; outcome: () => string | undefined } {
  const cluster = createRedisConnection(deployment.url, { lazyConnect: true }) as Cluster;
  let outcome: string | undefined;
  cluster.connect().then(
    () => (outcome = 'resolved'),
    (err: unknown) => (outcome = `rejected: ${err instanceof Error ? err.message : String(err)}`),
  );
  return { cluster, outcome: () => outcome };
}

/** Resolves once a ready check of `cluster` has failed: ioredis then reconnects by itself. */
const readyCheckFailed = (cluster: Cluster) => new Promise<void>((resolve) => cluster.once('reconnecting', () => resolve()));

describe('connect() of a Cluster connection whose ready check answers cluster_state:fail', () => {
  // The second: between two attempts ioredis sets `close` again as each node it let go ends.
  for (const [when, before] of [
    ['', async () => {}],
    [' while it waits to reconnect with status close', (cluster: Cluster) => waitFor(() => cluster.status === 'close', 'the status close while the connection waits to reconnect', 10_000, 1)],
  ] as const) {
    it(`disconnect()${when}: the connection is ended, and the promise is rejected: Connection is closed.`, async () => {
      const { cluster, outcome } = connecting();
      try {
        await readyCheckFailed(cluster);
        await before(cluster);
        cluster.disconnect();
        await waitFor(() => outcome(), 'the promise of connect() to settle', 30_000);
        expect(outcome()).toBe('rejected: Connection is closed.');
        expect(cluster.status).toBe('end');
      } finally {
        cluster.disconnect();
      }
    }, 60_000);
  }

  it('the replica promoted: the connection becomes ready, and the promise is resolved', async () => {
    const { cluster, outcome } = connecting();
    try {
      await readyCheckFailed(cluster);
      await onNode(replica, (c) => c.call('CLUSTER', 'FAILOVER', 'TAKEOVER'));
      await waitFor(() => outcome(), 'the promise of connect() to settle', 30_000);
      expect(outcome()).toBe('resolved');
      expect(cluster.status).toBe('ready');
    } finally {
      cluster.disconnect();
    }
  }, 60_000);
});
