import type { Redis } from 'ioredis';
import { NotDurableError } from '../errors.js';
import type { DurabilityOptions } from './mode.js';

/**
 * Confirms that the writes sent before it on one connection are durable in the configured mode.
 * `fsync` and `none` need no round trip (with appendfsync always Redis replies only after the
 * fsync); the WAIT modes send WAIT / WAITAOF on the same connection, which covers every write that
 * connection sent before it.
 */
export interface DurabilityBarrier {
  /** Throws NotDurableError when the confirmation did not come in time. */
  confirm(what: string): Promise<void>;
}

/**
 * `server` names the Redis that holds the writes (on a Cluster, the master serving the
 * deployment's slot: connection.ts createNodeResolver); WAIT must go to it.
 */
export function createDurabilityBarrier(server: () => Promise<Redis>, opts: DurabilityOptions): DurabilityBarrier {
  const { mode, replicas, timeoutMs } = opts;
  if (mode === 'fsync' || mode === 'none') return { async confirm() {} };
  return {
    async confirm(what) {
      const redis = await server();
      // WAIT counts the replicas holding what *this connection* wrote. If the connection drops
      // while WAIT waits (a primary dying during a failover), ioredis resends WAIT on a new
      // connection that wrote nothing, and any replica "confirms" it: count that as not confirmed.
      const closesBefore = closesOf(redis);
      if (redis.status !== 'ready') throw new NotDurableError(what, 'the connection to Redis was down before the writes could be confirmed');
      const connectionLost = () => {
        if (closesOf(redis) !== closesBefore) throw new NotDurableError(what, 'the connection to Redis was lost while waiting for the confirmation');
      };
      if (mode === 'waitaof') {
        const [local, remote] = (await redis.call('WAITAOF', 1, replicas, timeoutMs)) as [number, number];
        connectionLost();
        if (local < 1 || remote < replicas) throw new NotDurableError(what, `WAITAOF: fsynced locally ${local}, on ${remote} of ${replicas} replica(s) within ${timeoutMs} ms`);
        return;
      }
      const acked = (await redis.call('WAIT', replicas, timeoutMs)) as number;
      connectionLost();
      if (acked < replicas) throw new NotDurableError(what, `WAIT: ${acked} of ${replicas} replica(s) confirmed within ${timeoutMs} ms`);
    },
  };
}

const closeCounts = new WeakMap<Redis, { closes: number }>();

/** How many times `redis` lost its connection since the first call for it. */
function closesOf(redis: Redis): number {
  let entry = closeCounts.get(redis);
  if (!entry) {
    const counter = { closes: 0 };
    redis.on('close', () => counter.closes++);
    closeCounts.set(redis, counter);
    entry = counter;
  }
  return entry.closes;
}
