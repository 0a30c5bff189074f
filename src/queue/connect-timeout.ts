import type { Cluster, Redis } from 'ioredis';

export const DEFAULT_REDIS_CONNECT_TIMEOUT_MS = 5000;

/** The longest a connection's TCP connect and ready check may take (ms), on one Redis or a Cluster's nodes. */
export function connectTimeoutOf(redis: Redis | Cluster): number {
  const options = redis.options as { connectTimeout?: number; redisOptions?: { connectTimeout?: number } } | undefined;
  return options?.connectTimeout ?? options?.redisOptions?.connectTimeout ?? DEFAULT_REDIS_CONNECT_TIMEOUT_MS;
}
