import type { RedisConnection } from '../queue/connection.js';
import type { Keys } from '../queue/keys.js';

/**
 * The opt-out list: numbers that replied TD / T / 退订. Marketing sends skip them; verification
 * and notification sends do not (a person who opted out of ads still needs their login code).
 * Kept without expiry: an opt-out does not lapse.
 */
export interface SuppressionList {
  add(phones: readonly string[]): Promise<number>;
  remove(phones: readonly string[]): Promise<number>;
  /** For each number, whether it opted out; one round trip. */
  check(phones: readonly string[]): Promise<boolean[]>;
  size(): Promise<number>;
}

export function createSuppressionList({ redis, keys }: { redis: RedisConnection; keys: Keys }): SuppressionList {
  const key = keys.suppressed();
  return {
    async add(phones) {
      return phones.length ? redis.sadd(key, ...phones) : 0;
    },
    async remove(phones) {
      return phones.length ? redis.srem(key, ...phones) : 0;
    },
    async check(phones) {
      if (phones.length === 0) return [];
      const res = (await redis.call('SMISMEMBER', key, ...phones)) as number[];
      return res.map((v) => v === 1);
    },
    async size() {
      return redis.scard(key);
    },
  };
}
