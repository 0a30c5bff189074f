/**
 * The worker's start-up advice on Redis's hash encoding: a real Redis of its own (the shared test
 * Redis keeps its settings), read as the worker reads it, and the warning the worker logs.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis.js';
import { ADVISED_HASH_VALUE_BYTES, adviseRedisMemory, redisMemoryAdvice } from '../../src/queue/redis-memory-advice.js';

let server: PrivateRedis;
let redis: Redis;
beforeAll(async () => {
  server = await startPrivateRedis({ appendfsync: 'off' });
  redis = new Redis(server.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

describe("advice on Redis's hash encoding", () => {
  it("warns, with the fix, while hash-max-listpack-value is Redis's default, and not once it is 256", async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    expect(await redisMemoryAdvice(redis)).toMatchObject({ setting: 'hash-max-listpack-value', value: 64 });
    await adviseRedisMemory(redis, logger);
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] as string) as { msg: string; fix: string; level: number };
    expect(line.msg).toMatch(/^MEMORY: hash-max-listpack-value is 64/);
    expect(line.fix).toBe('CONFIG SET hash-max-listpack-value 256, and the same line in redis.conf');
    expect(line.level).toBe(40);

    await redis.config('SET', 'hash-max-listpack-value', String(ADVISED_HASH_VALUE_BYTES));
    expect(await redisMemoryAdvice(redis)).toBeUndefined();
    await adviseRedisMemory(redis, logger);
    expect(lines).toHaveLength(1);
  });

  it('says nothing where CONFIG is refused (a managed Redis)', async () => {
    await redis.config('SET', 'hash-max-listpack-value', '64');
    // What a managed Redis does: a user whose ACL leaves CONFIG out.
    await redis.call('ACL', 'SETUSER', 'app', 'on', '>app-password', '~*', '&*', '+@all', '-config');
    const refusing = new Redis(server.url, { username: 'app', password: 'app-password', maxRetriesPerRequest: null });
    try {
      await expect(refusing.config('GET', 'hash-max-listpack-value')).rejects.toThrow(/NOPERM/);
      expect(await redisMemoryAdvice(refusing)).toBeUndefined();
    } finally {
      refusing.disconnect();
    }
  });
});
