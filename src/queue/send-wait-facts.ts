import { parseAccountBlock } from './account-block.js';
import type { RedisConnection } from './connection.js';
import { CALLS_QUEUE, type Keys } from './keys.js';
import type { WaitFacts } from './send-wait.js';

/** The value BullMQ's `queue.rateLimit(ms)` writes to the limiter key (workers/account-pauses.ts throttles with it). */
const RATE_LIMITED = String(Number.MAX_SAFE_INTEGER);

/**
 * Reads what every send shares (the account block, Dysmsapi's throttling of every worker) in one
 * round trip, for {@link sendWait}. `now` is the caller's clock.
 */
export async function readWaitFacts(redis: RedisConnection, keys: Keys, now: number): Promise<Pick<WaitFacts, 'accountBlock' | 'throttledUntil'>> {
  const limiter = `${keys.prefix}:${CALLS_QUEUE}:limiter`;
  const replies = (await redis.multi().hgetall(keys.account()).get(limiter).pttl(limiter).exec()) ?? [];
  const [hash, limit, ttl] = replies.map(([err, value]) => (err ? undefined : value)) as [Record<string, string> | undefined, string | null | undefined, number | undefined];
  const block = parseAccountBlock(hash);
  return {
    ...(block ? { accountBlock: block } : {}),
    ...(limit === RATE_LIMITED && ttl !== undefined && ttl > 0 ? { throttledUntil: now + ttl } : {}),
  };
}
