/**
 * A write of its own for a confirmation that may have none. A WAIT covers what its connection
 * wrote; a request that changes nothing (a cancel given again, a push Alibaba repeats) writes
 * nothing, and Valkey (Redis 7.2's protocol) confirms a WAIT from a connection that wrote nothing
 * at once, whatever the replicas hold: it would answer OK for what a replica may still lack.
 * Written after the request's own writes, so the WAIT that follows covers them too. None in the
 * modes that do not wait for replicas.
 */
import type { Clock } from '../clock.js';
import type { RedisConnection } from '../queue/connection.js';
import { resolveDurability, type DurabilityOptions } from './mode.js';

/** Lives a minute: it only has to be written, and is written again by the next confirmation. */
const FENCE_TTL_MS = 60_000;

export function createDurabilityFence(options: { redis: RedisConnection; key: string; durability: DurabilityOptions; clock: Clock }): () => Promise<void> {
  const { mode } = resolveDurability(options.durability);
  if (mode === 'fsync' || mode === 'none') return async () => {};
  return async () => {
    await options.redis.set(options.key, String(options.clock.now()), 'PX', FENCE_TTL_MS);
  };
}
