/**
 * What a worker says about itself in a sorted set of its deployment (its quiet hours,
 * worker-settings.ts; a durability hold, durability-holds.ts; an endpoint back-off,
 * endpoint-backoffs.ts): members that begin with the worker's id and `|`, scored with when it last
 * said so, or until when it holds (ms on its clock), so that readers count only recent words and a
 * worker that dies leaves nothing that lasts.
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

/** The id of the worker that wrote `member` (a worker id has no `|`). */
export function workerIdOf(member: string): string {
  const at = member.indexOf('|');
  return at === -1 ? member : member.slice(0, at);
}

/**
 * Writes one word scored `at` (`add`; when it is said, or until when it holds), takes another back
 * (`remove`, unless it is the same), and forgets words scored a day before `at`, in one MULTI;
 * throws what Redis refused.
 */
export async function writeWorkerWord(redis: RedisConnection, key: string, at: number, add: string | undefined, remove?: string): Promise<void> {
  const tx = redis.multi();
  if (remove !== undefined && remove !== add) tx.zrem(key, remove);
  if (add !== undefined) tx.zadd(key, at, add);
  tx.zremrangebyscore(key, '-inf', at - FORGET_AFTER_MS);
  const err = (await tx.exec())?.find(([e]) => e)?.[0];
  if (err) throw err;
}
