import { Redis } from 'ioredis';

/**
 * A Redis connection for BullMQ and smsq's own keys. `maxRetriesPerRequest: null` is what BullMQ
 * workers require (blocking commands must wait through reconnects rather than fail).
 */
export function createRedisConnection(url: string, opts: { lazyConnect?: boolean } = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: opts.lazyConnect ?? false });
}

/** Deletes every key under a prefix (SCAN and UNLINK, a thousand keys a round). */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}
