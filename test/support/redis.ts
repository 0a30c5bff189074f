import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { DEFAULT_DURABILITY, type DurabilityOptions } from '../../src/durability/mode.js';
import { clientCommandTimeoutMs, createRedisConnection, DEFAULT_REDIS_CONNECT_TIMEOUT_MS, type RedisConnection, type RedisConnectionOptions } from '../../src/queue/connection.js';

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

/**
 * A connection for a producer, made as the CLI and the server make theirs: role 'client' (createProducer
 * refuses a connection that would send a write late), its command timeout longer than a durability
 * confirmation of `durability` may wait. Default: the suite's Redis.
 */
export function createProducerConnection(url: string = testRedisUrl(), durability?: DurabilityOptions, opts: RedisConnectionOptions = {}): RedisConnection {
  const confirmMs = durability && 'timeoutMs' in durability ? (durability.timeoutMs ?? DEFAULT_DURABILITY.timeoutMs) : 0;
  const connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_REDIS_CONNECT_TIMEOUT_MS;
  const redis = createRedisConnection(url, { role: 'client', commandTimeoutMs: clientCommandTimeoutMs(connectTimeoutMs, confirmMs), ...opts });
  // The producer's gate listens too; this keeps ioredis quiet about a connection made and not yet used.
  redis.on('error', () => {});
  return redis;
}

/** Deletes every key under a prefix; call in afterEach/afterAll. */
export { deleteKeys } from '../../src/queue/connection.js';
