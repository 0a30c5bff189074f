/**
 * The gate in front of every producer call (src/queue/redis-gate.ts), against a real Redis: a
 * burst of calls while the first connect is under way shares one wait.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisGate } from '../../src/queue/redis-gate.js';
import { testRedisUrl } from '../support/redis.js';

const warnings: Error[] = [];
const onWarning = (w: Error) => void warnings.push(w);
let redis: Redis | undefined;
afterEach(() => {
  process.off('warning', onWarning);
  redis?.disconnect();
  redis = undefined;
});

describe('the Redis gate', () => {
  it('a burst of 50 calls during the first connect waits with one set of listeners, and no leak warning', async () => {
    warnings.length = 0;
    process.on('warning', onWarning);
    redis = new Redis(testRedisUrl(), { lazyConnect: true, maxRetriesPerRequest: null });
    const gate = createRedisGate({ redis, timeoutMs: 5000 });
    const before = { ready: redis.listenerCount('ready'), end: redis.listenerCount('end'), reconnecting: redis.listenerCount('reconnecting') };
    const calls = Array.from({ length: 50 }, () => gate.run(async () => (redis as Redis).ping()));
    expect(redis.status).toBe('connecting');
    expect(redis.listenerCount('ready') - before.ready).toBe(1);
    expect(redis.listenerCount('end') - before.end).toBe(1);
    expect(redis.listenerCount('reconnecting') - before.reconnecting).toBe(1);
    expect(await Promise.all(calls)).toEqual(Array(50).fill('PONG'));
    // Process warnings are emitted on the next tick.
    await new Promise((r) => setImmediate(r));
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    expect(redis.listenerCount('ready')).toBe(before.ready);
    // Later calls, connected, do not wait at all.
    expect(await gate.run(async () => (redis as Redis).ping())).toBe('PONG');
  });
});
