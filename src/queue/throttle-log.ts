/**
 * Dysmsapi's throttle answers of the last minute, so that `status` can say a send is held back by
 * throttling between the pauses too: each pause lasts about a second, and a send throttled again
 * and again looked like a send that moves whenever it was asked outside one.
 *
 * A sorted set (keys.throttles()): one member per throttle answer, `<until>:<action>:<random>`
 * (the Dysmsapi action throttled: SendSms, SendBatchSms, QuerySendDetails; an earlier version's
 * `<until>:<random>` names none), scored with when the pause it caused ends (ms, the worker's
 * clock); entries older than {@link THROTTLE_LOG_WINDOW_MS} are trimmed by each write, and the key
 * expires when throttling stops. The action is kept because the fix depends on it: look-ups
 * throttled share the account's cap with sends, and lowering SMS_QPS alone is not all it says.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { RedisConnection } from './connection.js';
import type { Keys } from './keys.js';

/** How far back throttle answers are counted. */
export const THROTTLE_LOG_WINDOW_MS = 60_000;

export interface ThrottleLog {
  /** A throttle answer to a call of `action` (a Dysmsapi action name) that paused every worker for `pauseMs`. */
  record(pauseMs: number, action: string): Promise<void>;
}

export function createThrottleLog(deps: { redis: RedisConnection; keys: Keys; clock: Clock }): ThrottleLog {
  const key = deps.keys.throttles();
  return {
    async record(pauseMs, action) {
      const now = deps.clock.now();
      const until = now + pauseMs;
      await deps.redis
        .multi()
        .zadd(key, until, `${until}:${action}:${randomBytes(4).toString('hex')}`)
        .zremrangebyscore(key, '-inf', now - THROTTLE_LOG_WINDOW_MS)
        .pexpire(key, THROTTLE_LOG_WINDOW_MS + pauseMs)
        .exec();
    },
  };
}

/** How many of the latest throttle answers are read for the actions they name: status is asked every second by a watch. */
export const THROTTLE_ACTIONS_READ = 100;

/**
 * The Dysmsapi actions named by throttle log members (the latest answers, as read), most throttled
 * first; a member of an earlier version, which names none, is left out.
 */
export function throttledActions(members: readonly string[]): string[] {
  const times = new Map<string, number>();
  for (const member of members) {
    const parts = member.split(':');
    if (parts.length !== 3 || !parts[1]) continue;
    times.set(parts[1], (times.get(parts[1]) ?? 0) + 1);
  }
  return [...times].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([action]) => action);
}
