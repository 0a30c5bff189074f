import { Redis } from 'ioredis';

/**
 * A Redis connection for BullMQ and smsq's own keys. `maxRetriesPerRequest: null` is what BullMQ
 * workers require (blocking commands must wait through reconnects rather than fail).
 */
export function createRedisConnection(url: string, opts: { lazyConnect?: boolean } = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: opts.lazyConnect ?? false });
}
