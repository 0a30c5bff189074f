/** Admin commands on one redis-server of a test deployment (test/support/redis-topology.ts). */
import type { Redis } from 'ioredis';
import type { RedisNode } from './redis-topology.js';

/** `use` on an admin connection to `node` (a data node or a sentinel), closed after. */
export async function onNode<T>(node: RedisNode, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = node.admin();
  try {
    await client.connect();
    return await use(client);
  } finally {
    client.disconnect();
  }
}

/** `cluster_state` in CLUSTER INFO of a Cluster node (`ok`, `fail`). */
export const clusterState = (node: RedisNode) => onNode(node, async (c) => /^cluster_state:(\w+)/m.exec(String(await c.call('CLUSTER', 'INFO')))?.[1]);

/** Whether CLUSTER SLOTS of `node` names the node on `port` (a replica, once gossip has told it). */
export const slotsName = (node: RedisNode, port: number) => onNode(node, async (c) => JSON.stringify(await c.call('CLUSTER', 'SLOTS')).includes(String(port)));
