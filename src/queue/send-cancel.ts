/**
 * What ending a send's control does to its chunks and jobs, for whoever cancels it (an operator
 * through the producer; the repair sweep ending a withdrawn send) and whoever resumes it.
 */
import { Job, type Queue } from 'bullmq';
import type { ChunkStore } from './chunk-store.js';
import type { RedisConnection } from './connection.js';
import type { Keys } from './keys.js';

/**
 * Chunks a cancel marks per round trip. Redis runs a client's pipelined scripts back to back, so a
 * batch holds other clients (a verification code's claim) for about this many scripts' time.
 */
const CANCEL_BATCH = 64;

/**
 * Marks the queued chunks of a cancelled send `cancelled` now rather than when each job comes up,
 * CANCEL_BATCH chunks a round trip: one at a time, each reply waited for its own fsync
 * (docs/benchmarks.md, session 17). A chunk past `queued` is left as it is (the table has no move).
 */
export async function cancelQueuedChunks(chunks: ChunkStore, sendId: string, total: number): Promise<void> {
  for (let start = 0; start < total; start += CANCEL_BATCH) {
    const batch: Promise<unknown>[] = [];
    for (let i = start; i < Math.min(total, start + CANCEL_BATCH); i++) batch.push(chunks.transition(`${sendId}.${i}`, sendId, { trigger: 'cancel' }));
    await Promise.all(batch);
  }
}

/** Wakes the jobs parked while a send was paused (they re-check its control at once). */
export async function wakeParked(deps: { redis: RedisConnection; keys: Keys; queue: Queue }, sendId: string): Promise<void> {
  const parkedKey = deps.keys.sendParked(sendId);
  const ids = await deps.redis.smembers(parkedKey);
  for (const id of ids) {
    const job = await Job.fromId(deps.queue, id);
    await job?.promote().catch(() => undefined); // no longer delayed: it already ran again
  }
  if (ids.length) await deps.redis.srem(parkedKey, ...ids);
}
