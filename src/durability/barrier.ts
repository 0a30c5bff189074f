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
  /** False when `confirm()` is free (no round trip). */
  readonly waits: boolean;
  /** Throws NotDurableError when the confirmation did not come in time. */
  confirm(what: string): Promise<void>;
}

/**
 * `server` names the Redis that holds the writes (on a Cluster, the master serving the
 * deployment's slot: connection.ts createNodeResolver); WAIT must go to it.
 */
export function createDurabilityBarrier(server: () => Promise<Redis>, opts: DurabilityOptions): DurabilityBarrier {
  const { mode, replicas, timeoutMs } = opts;
  if (mode === 'fsync' || mode === 'none') return { waits: false, async confirm() {} };
  return {
    waits: true,
    async confirm(what) {
      const redis = await server();
      if (mode === 'waitaof') {
        const [local, remote] = (await redis.call('WAITAOF', 1, replicas, timeoutMs)) as [number, number];
        if (local < 1 || remote < replicas) throw new NotDurableError(what, `WAITAOF: fsynced locally ${local}, on ${remote} of ${replicas} replica(s) within ${timeoutMs} ms`);
        return;
      }
      const acked = (await redis.call('WAIT', replicas, timeoutMs)) as number;
      if (acked < replicas) throw new NotDurableError(what, `WAIT: ${acked} of ${replicas} replica(s) confirmed within ${timeoutMs} ms`);
    },
  };
}
