import type { RedisConnection } from './connection.js';
import { CALLS_QUEUE, type Keys } from './keys.js';
import { parseQuietHours } from './quiet-hours.js';
import type { WaitFacts } from './send-wait.js';
import { THROTTLE_LOG_WINDOW_MS } from './throttle-log.js';
import { distinctQuietHours, WORKER_SETTINGS_TTL_MS } from './worker-settings.js';

/** The value BullMQ's `queue.rateLimit(ms)` writes to the limiter key (workers/account-pauses.ts throttles with it). */
const RATE_LIMITED = String(Number.MAX_SAFE_INTEGER);

/**
 * Reads what every send shares (the account block, Dysmsapi's throttling of every worker now and
 * in the last minute, the live workers' quiet hours) in one round trip, for {@link sendWait}. `now` is the caller's clock.
 */
export async function readWaitFacts(redis: RedisConnection, keys: Keys, now: number): Promise<Pick<WaitFacts, 'accountBlock' | 'throttledUntil' | 'recentThrottles' | 'workerQuietHours'>> {
  const limiter = `${keys.prefix}:${CALLS_QUEUE}:limiter`;
  const replies =
    (await redis
      .multi()
      .hgetall(keys.account())
      .get(limiter)
      .pttl(limiter)
      .zrangebyscore(keys.workerSettings(), now - WORKER_SETTINGS_TTL_MS, '+inf')
      .zcount(keys.throttles(), now - THROTTLE_LOG_WINDOW_MS, '+inf')
      .zrange(keys.throttles(), -1, -1, 'WITHSCORES')
      .exec()) ?? [];
  const [block, limit, ttl, settings, throttles, last] = replies.map(([err, value]) => (err ? undefined : value)) as [
    Record<string, string> | undefined,
    string | null | undefined,
    number | undefined,
    string[] | undefined,
    number | undefined,
    string[] | undefined,
  ];
  const quiet = distinctQuietHours(settings ?? []);
  return {
    ...(block?.code ? { accountBlock: { code: block.code, message: block.message ?? '', since: Number(block.since ?? 0) } } : {}),
    ...(limit === RATE_LIMITED && ttl !== undefined && ttl > 0 ? { throttledUntil: now + ttl } : {}),
    ...(throttles && last?.[1] ? { recentThrottles: { times: throttles, lastUntil: Number(last[1]) } } : {}),
    ...(quiet.length ? { workerQuietHours: quiet.map(parseQuietHours) } : {}),
  };
}
