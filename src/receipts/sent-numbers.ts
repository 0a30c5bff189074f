import type { RedisConnection } from '../queue/connection.js';
import type { Keys } from '../queue/keys.js';
import { luaScript } from '../queue/lua.js';

/**
 * The numbers smsq was asked to send to, so that a pushed SmsUp reply (which names no send) is
 * believed only for a number that could have received one of our messages: a forged opt-out of
 * a stranger's number changes nothing.
 *
 * Kept small: numbers are spread over {@link SENT_NUMBER_BUCKETS} sets by their last six digits.
 * A normalised number is all digits and fits a 64-bit integer, so while a bucket holds at most
 * `set-max-intset-entries` (512 by default) members Redis stores it as an intset, 8 bytes a number
 * (about 8 MB for a million numbers, 2 million before buckets grow into ordinary sets). Each bucket
 * lives `retentionSeconds` after its last addition, so a number is remembered at least that long.
 */
export const SENT_NUMBER_BUCKETS = 4096;

export function sentNumberBucket(phone: string): number {
  return (Number(phone.slice(-6)) || 0) % SENT_NUMBER_BUCKETS;
}

export interface SentNumbers {
  /** Remembers numbers a send was enqueued for (idempotent). */
  record(phones: readonly string[]): Promise<void>;
  /** For each number, whether smsq was asked to send to it within the retention period. */
  check(phones: readonly string[]): Promise<boolean[]>;
}

export function createSentNumbers({ redis, keys, retentionSeconds }: { redis: RedisConnection; keys: Keys; retentionSeconds: number }): SentNumbers {
  const record = luaScript(redis, 'record-sent-numbers-1');
  const bucketPrefix = keys.sentNumbers(0).slice(0, -1);
  return {
    async record(phones) {
      if (phones.length === 0) return;
      await record(bucketPrefix, retentionSeconds, SENT_NUMBER_BUCKETS, ...phones);
    },
    async check(phones) {
      return Promise.all(phones.map(async (p) => (await redis.sismember(keys.sentNumbers(sentNumberBucket(p)), p)) === 1));
    },
  };
}
