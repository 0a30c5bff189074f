/**
 * What a worker says about itself in a sorted set of its deployment (its quiet hours,
 * worker-settings.ts; a durability hold, durability-holds.ts): members that begin with the
 * worker's id, scored with when it last said so (ms on its clock), so that readers count only
 * recent words and a worker that dies leaves nothing that lasts.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { RedisConnection } from './connection.js';

/** Words older than this are removed by the next worker that speaks. */
const FORGET_AFTER_MS = 24 * 3600_000;

/** An id for this process's words: host, pid and a few random bytes (a pid is reused after a restart). */
export function newWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/**
 * Writes one word at `now` (`add`), takes another back (`remove`, unless it is the same), and
 * forgets words a day old, in one MULTI; throws what Redis refused.
 */
export async function writeWorkerWord(redis: RedisConnection, key: string, now: number, add: string | undefined, remove?: string): Promise<void> {
  const tx = redis.multi();
  if (remove !== undefined && remove !== add) tx.zrem(key, remove);
  if (add !== undefined) tx.zadd(key, now, add);
  tx.zremrangebyscore(key, '-inf', now - FORGET_AFTER_MS);
  const err = (await tx.exec())?.find(([e]) => e)?.[0];
  if (err) throw err;
}
