import { Redis, type RedisOptions } from 'ioredis';

/** How a connection behaves while Redis does not answer. */
export type RedisRole =
  /**
   * BullMQ workers: commands wait through an outage and run once Redis is back (blocking commands
   * need `maxRetriesPerRequest: null`), so a worker resumes unaided.
   */
  | 'worker'
  /**
   * Producers, the server and one-shot commands: while Redis is down a command fails at once
   * instead of waiting in a queue to run later (an enqueue the caller was told had failed must not
   * happen behind its back), and a command on the wire when the link drops fails after one retry.
   */
  | 'client';

export interface RedisConnectionOptions {
  lazyConnect?: boolean;
  /** Longest a TCP connect (and the ready check) may take (ms). Default 5000 (SMSQ_REDIS_CONNECT_TIMEOUT_MS). */
  connectTimeoutMs?: number;
  /** Default `worker`. */
  role?: RedisRole;
}

export const DEFAULT_REDIS_CONNECT_TIMEOUT_MS = 5000;

/** Reconnect delays: 100 ms, doubling, at most 3 s, for ever (an outage ends when Redis is back). */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(100 * 2 ** Math.max(0, attempt - 1), 3000);
}

/** The ioredis options of a connection of `role` (for a Redis, or a Cluster's `redisOptions`). */
export function redisConnectionOptions(opts: RedisConnectionOptions = {}): RedisOptions {
  const client = (opts.role ?? 'worker') === 'client';
  return {
    maxRetriesPerRequest: client ? 1 : null,
    enableOfflineQueue: !client,
    enableReadyCheck: true,
    lazyConnect: opts.lazyConnect ?? false,
    connectTimeout: opts.connectTimeoutMs ?? DEFAULT_REDIS_CONNECT_TIMEOUT_MS,
    retryStrategy: reconnectDelayMs,
  };
}

/**
 * A Redis connection for BullMQ and smsq's own keys. The default role (`worker`) is what BullMQ
 * workers require; see {@link RedisRole}.
 */
export function createRedisConnection(url: string, opts: RedisConnectionOptions = {}): Redis {
  return new Redis(url, redisConnectionOptions(opts));
}

/** `url` with any password replaced by `***` (for logs and error messages). */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/([^@/]*):[^@/]*@/, '//$1:***@');
  }
}

/** The URL a connection was made to, password redacted (for messages when only the client is at hand). */
export function describeRedis(redis: Redis): string {
  const o = redis.options;
  const auth = o.password ? `${o.username ?? ''}:***@` : o.username ? `${o.username}@` : '';
  const scheme = o.tls ? 'rediss' : 'redis';
  return `${scheme}://${auth}${o.host ?? '127.0.0.1'}:${o.port ?? 6379}${o.db ? `/${o.db}` : ''}`;
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
