import { afterEach, describe, expect, it } from 'vitest';
import { createRedisConnection } from '../../src/queue/connection.js';
import { pingWithin } from '../../src/queue/ping-within.js';
import { startFreezableRedis } from '../support/freezable-redis.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('pingWithin (the probe shared by the Redis watch and a producer closing within a grace)', () => {
  it('tells an answering Redis, a frozen one (late, then answered once thawed) and a closed connection (failed)', async () => {
    const server = await startFreezableRedis((close) => closers.push(close));
    const redis = createRedisConnection(server.url);
    closers.push(async () => redis.disconnect());
    await redis.ping();

    const live = pingWithin(redis, 1000);
    expect(await live.within).toBe('answered');
    expect(await live.settled).toBe('answered');

    server.freeze();
    const frozen = pingWithin(redis, 300);
    expect(await frozen.within).toBe('late');
    server.thaw();
    expect(await frozen.settled).toBe('answered');

    redis.disconnect();
    const closed = pingWithin(redis, 1000);
    expect(await closed.within).toBe('failed');
  });
});
