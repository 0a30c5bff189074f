import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';

/** URL of the Redis the suite runs against (a private one started by global-setup). */
export function testRedisUrl(): string {
  return inject('redisUrl');
}

/** A key prefix unique to one test, hash-tagged like production prefixes. */
export function uniquePrefix(label = 't'): string {
  return `{smsq-${label}-${randomBytes(4).toString('hex')}}`;
}

/** A connection suitable for BullMQ workers (maxRetriesPerRequest: null). */
export function createTestConnection(): Redis {
  return new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
}

/** Deletes every key under a prefix; call in afterEach/afterAll. */
export { deleteKeys } from '../../src/queue/connection.js';
