/**
 * Dysmsapi's throttle answers of the last minute, so that `status` can say a send is held back by
 * throttling between the pauses too: each pause lasts about a second, and a send throttled again
 * and again looked like a send that moves whenever it was asked outside one.
 *
 * A sorted set (keys.throttles()): one member per throttle answer, scored with when the pause it
 * caused ends (ms, the worker's clock); entries older than {@link THROTTLE_LOG_WINDOW_MS} are
 * trimmed by each write, and the key expires when throttling stops.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { RedisConnection } from './connection.js';
import type { Keys } from './keys.js';

/** How far back throttle answers are counted. */
export const THROTTLE_LOG_WINDOW_MS = 60_000;

export interface ThrottleLog {
  /** A throttle answer that paused every worker for `pauseMs`. */
  record(pauseMs: number): Promise<void>;
}

export function createThrottleLog(deps: { redis: RedisConnection; keys: Keys; clock: Clock }): ThrottleLog {
  const key = deps.keys.throttles();
  return {
    async record(pauseMs) {
      const now = deps.clock.now();
      const until = now + pauseMs;
      await deps.redis
        .multi()
        .zadd(key, until, `${until}:${randomBytes(4).toString('hex')}`)
        .zremrangebyscore(key, '-inf', now - THROTTLE_LOG_WINDOW_MS)
        .pexpire(key, THROTTLE_LOG_WINDOW_MS + pauseMs)
        .exec();
    },
  };
}

/** What the log says at `now`: how many throttle answers in the last minute, and when the latest pause ends. */
export interface RecentThrottles {
  times: number;
  lastUntil: number;
}
