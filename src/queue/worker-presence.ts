/**
 * Whether any worker serves a prefix: BullMQ's count of worker connections on the calls queue
 * (CLIENT LIST), or, where Redis refuses CLIENT LIST (some managed Redis), the metrics heartbeats
 * of the last minute. `/readyz` answers with it, and the CLI warns after an enqueue that no worker
 * will take (a wrong SMSQ_PREFIX enqueues into a queue nobody reads).
 */
import type { Queue } from 'bullmq';
import type { Clock } from '../clock.js';
import { WRITER_TTL_MS } from '../metrics/call-metrics.js';
import { metricKeys } from '../metrics/metric-keys.js';
import type { RedisConnection } from './connection.js';

/** Worker connections of a queue, or undefined when Redis refuses CLIENT LIST. */
export async function workersOf(queue: Queue): Promise<number | undefined> {
  try {
    return await queue.getWorkersCount();
  } catch {
    return undefined;
  }
}

export interface WorkerPresenceDeps {
  redis: RedisConnection;
  /** The key prefix (SMSQ_PREFIX) the workers' heartbeats are under. */
  prefix: string;
  /** The calls queue of that prefix. */
  queue: Queue;
  clock: Clock;
}

/**
 * How many workers are seen on the prefix: with a heartbeat in the last minute, else connected to
 * the queue; undefined when that cannot be told (no heartbeat, and Redis refuses CLIENT LIST: an
 * ACL without it, some managed Redis). The heartbeats (one ZCOUNT) are asked first: CLIENT LIST
 * walks every client of Redis on its main thread, and is asked only when no `smsq worker` beats
 * (a worker of the Node API without metrics, or none at all).
 */
export async function workersSeen(deps: WorkerPresenceDeps): Promise<number | undefined> {
  const heartbeats = await deps.redis.zcount(metricKeys(deps.prefix).writers, deps.clock.now() - WRITER_TTL_MS, '+inf');
  if (heartbeats > 0) return heartbeats;
  return workersOf(deps.queue);
}

/** How long a producer reuses its answer to {@link workersSeen}: status polls come many times a second. */
export const WORKER_PRESENCE_TTL_MS = 5000;

/**
 * {@link workersSeen} asked at most once per {@link WORKER_PRESENCE_TTL_MS} (on `clock`), callers
 * in between sharing the answer or the look-up in flight. A failed look-up is not kept.
 */
export function cachedWorkersSeen(deps: WorkerPresenceDeps): () => Promise<number | undefined> {
  let answer: { at: number; seen: Promise<number | undefined> } | undefined;
  return () => {
    const now = deps.clock.now();
    if (answer && now - answer.at < WORKER_PRESENCE_TTL_MS) return answer.seen;
    const seen = workersSeen(deps);
    const held = { at: now, seen };
    answer = held;
    seen.catch(() => {
      if (answer === held) answer = undefined;
    });
    return seen;
  };
}
