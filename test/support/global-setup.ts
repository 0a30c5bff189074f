import type { TestProject } from 'vitest/node';
import { startPrivateRedis } from '../../src/runtime/private-redis.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

/**
 * Starts a private redis-server on a free port unless REDIS_URL is set, so `npm test` never
 * touches somebody's 6379 and needs nothing started by hand.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.REDIS_URL;
  if (external) {
    project.provide('redisUrl', external);
    return async () => {};
  }
  const redis = await startPrivateRedis();
  project.provide('redisUrl', redis.url);
  return () => redis.stop();
}
