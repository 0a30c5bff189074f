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
}

/**
 * How old the newest heartbeat may be for the heartbeats to be counted as they are (ms, on Redis's
 * clock against the workers'). A worker beats every second (call-metrics.ts); one
 * that is gone (a forced exit, SIGKILL, a crash) leaves its last beat in the set for
 * {@link WRITER_TTL_MS}, which would count it as running for up to a minute. Past this age the
 * connections to the queue are asked, which a dead process no longer has. Three beats missed: a
 * flush held up by a busy event loop or a slow fsync is not taken for a death, and a worker that is
 * alive but not beating is found connected.
 */
export const WRITER_FRESH_MS = 3000;

/**
 * What "no worker serves the prefix" means, as {@link workersSeen} judges it, in the words every
 * message about it uses (status's `no-worker`, the CLI's warning after an enqueue): the CLI said
 * "no heartbeat in the last minute" while status and the docs said 3 s.
 */
export const NO_WORKER_MEANS = `none is connected to its queue or beat in the last ${WRITER_FRESH_MS / 1000} s`;

/**
 * How many workers are seen on the prefix at `atMs`: with a heartbeat in the last minute when the
 * newest is at most {@link WRITER_FRESH_MS} old, else connected to the queue (0 once the last of
 * them is gone), else (Redis refuses CLIENT LIST: an ACL without it, some managed Redis) the
 * heartbeats of the last minute; undefined when none of these tells. The heartbeats (one round
 * trip) are asked first: CLIENT LIST walks every client of Redis on its main thread, and is asked
 * only when no `smsq worker` beats now (a worker of the Node API without metrics, every worker
 * gone, or none at all).
 *
 * `atMs` is Redis's time (redisNowMs), not the asker's: the workers beat on their clocks, kept near
 * Redis's, and an asker's clock a minute behind took a worker dead for seconds as beating now, one
 * a minute ahead found no beat at all.
 */
export async function workersSeen(deps: WorkerPresenceDeps, atMs: number): Promise<number | undefined> {
  const key = metricKeys(deps.prefix).writers;
  const replies = (await deps.redis.multi().zcount(key, atMs - WRITER_TTL_MS, '+inf').zrange(key, -1, -1, 'WITHSCORES').exec()) ?? [];
  const [[countErr, count] = [], [newestErr, newest] = []] = replies;
  if (countErr) throw countErr;
  if (newestErr) throw newestErr;
  const heartbeats = Number(count);
  const newestAt = Number((newest as string[] | undefined)?.[1]);
  if (heartbeats > 0 && atMs - newestAt <= WRITER_FRESH_MS) return heartbeats;
  const connected = await workersOf(deps.queue);
  if (connected !== undefined) return connected;
  return heartbeats > 0 ? heartbeats : undefined;
}

/** How long a producer reuses its answer to {@link workersSeen}: status polls come many times a second. */
export const WORKER_PRESENCE_TTL_MS = 5000;

/**
 * {@link workersSeen} asked at most once per {@link WORKER_PRESENCE_TTL_MS} (on `clock`, the
 * asker's own: the period is its own to keep), callers in between sharing the answer or the
 * look-up in flight, whatever Redis's time they give. A failed look-up is not kept.
 */
export function cachedWorkersSeen(deps: WorkerPresenceDeps & { clock: Clock }): (atMs: number) => Promise<number | undefined> {
  let answer: { at: number; seen: Promise<number | undefined> } | undefined;
  return (atMs) => {
    const now = deps.clock.now();
    if (answer && now - answer.at < WORKER_PRESENCE_TTL_MS) return answer.seen;
    const seen = workersSeen(deps, atMs);
    const held = { at: now, seen };
    answer = held;
    seen.catch(() => {
      if (answer === held) answer = undefined;
    });
    return seen;
  };
}
