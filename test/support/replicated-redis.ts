import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis.js';
import { waitFor } from './wait.js';

/** A numeric field of a server's INFO replication (`master_repl_offset`, ...), read straight from it on a connection of its own. */
export async function replicationField(server: { admin(): Redis; port: number } | string, field: string): Promise<number> {
  const admin = typeof server === 'string' ? new Redis(server) : server.admin();
  try {
    const value = new RegExp(`^${field}:(-?\\d+)`, 'm').exec(await admin.info('replication'))?.[1];
    if (value === undefined) throw new Error(`no ${field} in INFO replication of ${typeof server === 'string' ? server : `port ${server.port}`}`);
    return Number(value);
  } finally {
    admin.disconnect();
  }
}

/** A private primary with one replica in sync, for the WAIT and WAITAOF tests. */
export interface ReplicatedRedis {
  primary: PrivateRedis;
  replica: PrivateRedis;
  /** A connection to the replica. */
  replicaClient: Redis;
  /** The replica's process, to stop (SIGSTOP) and resume (SIGCONT); resumed by the deferred close. */
  replicaProcess: ChildProcess;
}

/**
 * Starts both (each with `appendfsync`, from `server`: redis-server by default), makes the second a
 * replica of the first and waits until it is in sync. `defer` receives what to close after the test.
 */
export async function startReplicatedRedis(
  opts: { appendfsync: 'always' | 'everysec' | 'off'; server?: string },
  defer: (close: () => Promise<void> | void) => void,
): Promise<ReplicatedRedis> {
  const server = opts.server ? { server: opts.server } : {};
  const primary = await startPrivateRedis({ appendfsync: opts.appendfsync, ...server });
  defer(() => primary.stop());
  const replica = await startPrivateRedis({ appendfsync: opts.appendfsync, ...server });
  defer(() => replica.stop());
  const replicaClient = new Redis(replica.url, { maxRetriesPerRequest: null });
  replicaClient.on('error', () => {});
  defer(() => void replicaClient.disconnect());
  await replicaClient.replicaof('127.0.0.1', primary.port);
  await waitFor(async () => /master_link_status:up/.test(await replicaClient.info('replication')), 'the replica to sync');
  const replicaProcess = replica.process;
  defer(() => void replicaProcess.kill('SIGCONT'));
  return { primary, replica, replicaClient, replicaProcess };
}

/** Makes `replica` a replica of the Redis on `port` (a primary, or a proxy in front of one) and waits until its link is up. */
export async function followPrimary(replica: PrivateRedis, port: number): Promise<void> {
  const admin = new Redis(replica.url);
  try {
    await admin.replicaof('127.0.0.1', port);
    await waitFor(async () => /master_link_status:up/.test(await admin.info('replication')), 'the replica to sync', 15_000);
  } finally {
    admin.disconnect();
  }
}
