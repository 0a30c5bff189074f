import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';

/** The listpack value size at which a single-number send's chunk and job hashes stay compact. */
export const ADVISED_HASH_VALUE_BYTES = 256;

/** A Redis setting that makes smsq's records larger than they need be, and how to change it. */
export interface MemoryAdvice {
  setting: string;
  value: number;
  what: string;
  fix: string;
}

/**
 * Reads the one Redis setting that decides most of a single-number send's memory in flight: a hash
 * with any value over `hash-max-listpack-value` bytes (64 by default; `hash-max-ziplist-value` before
 * Redis 7) leaves the compact encoding, and a send's chunk (its payload) and its BullMQ jobs (their
 * options) have such values (docs/operations.md "Redis settings"). Undefined where the value is fine
 * or cannot be read (a managed Redis that forbids CONFIG).
 */
export async function redisMemoryAdvice(redis: Redis): Promise<MemoryAdvice | undefined> {
  for (const setting of ['hash-max-listpack-value', 'hash-max-ziplist-value']) {
    let reply: string[];
    try {
      reply = (await redis.config('GET', setting)) as string[];
    } catch {
      return undefined;
    }
    if (reply.length < 2) continue; // not a setting of this Redis version
    const value = Number(reply[1]);
    if (!(value < ADVISED_HASH_VALUE_BYTES)) return undefined;
    return {
      setting,
      value,
      what: `${setting} is ${value}: a verification code's records take ~5.9 KB of Redis while it awaits its receipt instead of ~4.0 KB`,
      fix: `CONFIG SET ${setting} ${ADVISED_HASH_VALUE_BYTES}, and the same line in redis.conf`,
    };
  }
  return undefined;
}

/** Logs the advice, if any, as one warning (a worker's start-up). */
export async function adviseRedisMemory(redis: Redis, logger: Logger): Promise<void> {
  const advice = await redisMemoryAdvice(redis);
  if (advice) logger.warn({ setting: advice.setting, value: advice.value, fix: advice.fix }, `MEMORY: ${advice.what}`);
}
