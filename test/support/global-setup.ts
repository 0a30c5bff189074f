import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { startPrivateRedis } from '../../src/runtime/private-redis.js';
import { buildTestSources } from './test-build.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Starts a private redis-server on a free port unless REDIS_URL is set, so `npm test` never
 * touches somebody's 6379 and needs nothing started by hand; transpiles the sources the tests run
 * in child processes, once for the run (test/support/test-build.ts).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const build = await buildTestSources(ROOT);
  project.provide('testBuild', build.dir);
  const external = process.env.REDIS_URL;
  if (external) {
    project.provide('redisUrl', external);
    return async () => build.remove();
  }
  const redis = await startPrivateRedis();
  project.provide('redisUrl', redis.url);
  return async () => {
    await redis.stop();
    build.remove();
  };
}
