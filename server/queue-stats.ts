/** What `/metrics` and `/readyz` read about the queues and Redis, each bounded in time. */
import type { Queue } from 'bullmq';
import type { QueueStats } from '../src/metrics/prometheus.js';
import { workersOf } from '../src/queue/worker-presence.js';
import { RedisUnavailableError } from '../src/errors.js';
import type { RedisGate } from '../src/queue/redis-gate.js';
import { connectionReason } from '../src/queue/redis-errors.js';

/**
 * What happened, in the words `/v1` uses when Redis does not answer: the connection's own failure
 * (`connect ECONNREFUSED ...`, through the gate), not the error ioredis gives a command meanwhile
 * ("Stream isn't writeable and enableOfflineQueue options is false").
 */
export function redisFailureReason(gate: RedisGate, err: unknown): string {
  const translated = gate.translate(err);
  return translated instanceof RedisUnavailableError ? translated.reason : connectionReason(err);
}

/** Rejects with `what timed out` if `p` takes longer than `ms` (Redis down: commands wait forever). */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** One time limit shared by several steps (see {@link createDeadline}). */
export interface Deadline {
  /** `p`, or a rejection saying `what timed out` once the deadline has passed. */
  must<T>(p: Promise<T>, what: string): Promise<T>;
  /** `p`'s value, or undefined once the deadline has passed (what may be left out). */
  may<T>(p: Promise<T>): Promise<T | undefined>;
  clear(): void;
}

/**
 * A deadline `ms` from now for steps that run one after another or side by side: unlike a
 * {@link withTimeout} per step, the steps together take at most `ms`.
 */
export function createDeadline(ms: number): Deadline {
  let timer: NodeJS.Timeout | undefined;
  const passed = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return {
    must: (p, what) =>
      Promise.race([
        p,
        passed.then(() => {
          throw new Error(`${what} did not answer within ${ms} ms`);
        }),
      ]),
    may: (p) => Promise.race([p, passed.then(() => undefined)]),
    clear: () => clearTimeout(timer),
  };
}

const JOB_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'waiting-children', 'completed', 'failed'] as const;

export async function queueStats(queue: Queue): Promise<QueueStats> {
  const [counts, paused, ttl, workers] = await Promise.all([
    queue.getJobCounts(...JOB_STATES),
    queue.isPaused(),
    queue.getRateLimitTtl(),
    workersOf(queue),
  ]);
  return { queue: queue.name, counts, paused, rateLimitedMs: ttl > 0 ? ttl : 0, workers };
}
