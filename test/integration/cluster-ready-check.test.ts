/**
 * The ready check of smsq's Cluster connections (droppable-cluster.ts), CLUSTER INFO asked at every
 * (re)connect: of the masters only (a replica's answer tells nothing more, and each connection of
 * each process asked every replica too), and a node that neither answers nor refuses (a frozen
 * process: its connection stays open) given up after the connect timeout. Before, a check whose
 * nodes all hung, or hung and refused, never called back: the connection never became ready and
 * never retried. Real redis-server processes (test/support/redis-topology.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from 'ioredis';
import { finishedWithin } from '../../src/finished-within.js';
import { createRedisConnection } from '../../src/queue/connection.js';
import { startClusterDeployment, type ClusterDeployment, type RedisNode } from '../support/redis-topology.js';
import { waitFor } from '../support/wait.js';
import { slotsName } from '../support/node-admin.js';

type ReadyCheck = (callback: (err?: Error | null, fail?: boolean | string) => void) => void;

async function clusterInfoCalls(node: RedisNode): Promise<number> {
  const admin = node.admin();
  try {
    await admin.connect();
    return Number(/^cmdstat_cluster\|info:calls=(\d+)/m.exec(await admin.info('commandstats'))?.[1] ?? 0);
  } finally {
    admin.disconnect();
  }
}

describe('the Cluster connection ready check', () => {
  let deployment: ClusterDeployment;
  let replica: RedisNode;
  beforeAll(async () => {
    deployment = await startClusterDeployment();
    replica = await deployment.addReplica(deployment.masters[0]!);
    // Every master names the replica (gossip): a connection learns the nodes from one of them.
    for (const master of deployment.masters) {
      await waitFor(() => slotsName(master, replica.port), `port ${master.port} to name the replica in CLUSTER SLOTS`, 20_000, 100);
    }
  }, 90_000);
  afterAll(async () => {
    for (const node of [...deployment.masters, replica]) node?.thaw();
    await deployment?.stop();
  });

  it('asks CLUSTER INFO of the masters only, and calls back after the connect timeout when none answers', async () => {
    const cluster = createRedisConnection(deployment.url, { connectTimeoutMs: 500 }) as Cluster;
    try {
      await waitFor(() => cluster.status === 'ready', 'the connection ready');
      expect(cluster.nodes('slave').map((n) => n.options.port)).toEqual([replica.port]);
      const readyCheck = (cluster as unknown as { readyCheck: ReadyCheck }).readyCheck.bind(cluster);
      const check = () => new Promise<{ err?: Error | null; fail?: boolean | string }>((resolve) => readyCheck((err, fail) => resolve({ err, fail })));

      const before = await clusterInfoCalls(replica);
      expect(await check()).toEqual({ err: undefined, fail: undefined });
      // Every master's answer is in once the first is taken: wait for them before counting.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await clusterInfoCalls(replica), 'CLUSTER INFO asked of the replica').toBe(before);

      for (const node of [...deployment.masters, replica]) node.freeze();
      const frozen = check();
      expect(await finishedWithin(frozen, 5_000), 'the check called back').toBe(true);
      expect((await frozen).err?.message).toMatch(/no answer to CLUSTER INFO within 500 ms/);
    } finally {
      for (const node of [...deployment.masters, replica]) node.thaw();
      cluster.disconnect();
    }
  }, 60_000);
});
