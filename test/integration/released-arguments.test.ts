import { Command } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisConnection, type RedisConnection } from '../../src/queue/connection.js';
import { luaScript } from '../../src/queue/lua.js';
import { testRedisUrl, uniquePrefix } from '../support/redis.js';
import { startClusterDeployment } from '../support/redis-topology.js';

// What ioredis keeps of a command after its answer, on smsq's connections (src/queue/released-arguments.ts).
let client: RedisConnection;
let worker: RedisConnection;

beforeAll(async () => {
  client = createRedisConnection(testRedisUrl(), { role: 'client' });
  worker = createRedisConnection(testRedisUrl(), { role: 'worker' });
  // A client connection refuses commands until it is ready.
  await Promise.all([client, worker].map((redis) => (redis.status === 'ready' ? undefined : new Promise((resolve) => redis.once('ready', resolve)))));
});
afterAll(() => {
  client.disconnect();
  worker.disconnect();
});

describe('a script command sent on its own', () => {
  it('lets go of its arguments once answered, on a client and on a worker connection', async () => {
    for (const redis of [client, worker]) {
      const payload = Buffer.alloc(16_000, 0x31);
      const command = new Command('eval', ['return string.len(ARGV[1])', 0, payload], { replyEncoding: 'utf8' });
      expect(await redis.sendCommand(command)).toBe(16_000);
      expect(command.args).toEqual([]);
    }
  });

  it('lets go of them when refused too, and the error still names what was sent', async () => {
    const command = new Command('eval', ['return redis.error_reply("SMSQ_TEST refused")', 0, 'x'.repeat(100)], { replyEncoding: 'utf8' });
    const error = (await Promise.resolve(client.sendCommand(command)).catch((err: unknown) => err)) as Error & { command?: { args: unknown[] } };
    expect(error.message).toMatch(/SMSQ_TEST refused/);
    expect(error.command?.args).toHaveLength(3);
    expect(command.args).toEqual([]);
  });

  it('still answers through luaScript when Redis lost its scripts (EVALSHA refused NOSCRIPT, sent again in full)', async () => {
    const checkOptOuts = luaScript(client, 'check-opt-outs-1');
    const key = `${uniquePrefix('released')}:suppressed`;
    await client.sadd(key, '13800000001');
    expect(await checkOptOuts(key, '13800000000,13800000001', 1000)).toBe('01');
    await client.script('FLUSH');
    expect(await checkOptOuts(key, '13800000001,13800000002', 1000)).toBe('10');
    await client.del(key);
  });
});

describe('on a Redis Cluster', () => {
  it('a script lets go of its arguments once answered, after ioredis has sent it again to the slot\'s new owner', async () => {
    const cluster = await startClusterDeployment();
    const redis = createRedisConnection(cluster.url, { role: 'client' });
    redis.on('error', () => {});
    try {
      if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
      const key = `${uniquePrefix('released')}:payload`;
      const script = 'redis.call("SET", KEYS[1], ARGV[1]) return string.len(ARGV[1])';
      const first = new Command('eval', [script, 1, key, Buffer.alloc(3000, 0x34)], { replyEncoding: 'utf8' });
      expect(await redis.sendCommand(first)).toBe(3000);
      expect(first.args).toEqual([]);
      // The client's map of slots is now out of date: the next command is answered MOVED and sent again.
      const owner = await cluster.portServing(key);
      await cluster.moveSlot(key, cluster.masters.find((m) => m.port !== owner)!);
      const moved = new Command('eval', [script, 1, key, Buffer.alloc(4000, 0x35)], { replyEncoding: 'utf8' });
      expect(await redis.sendCommand(moved)).toBe(4000);
      expect(moved.args).toEqual([]);
      expect((await redis.get(key))?.length).toBe(4000);
    } finally {
      redis.disconnect();
      await cluster.stop();
    }
  });
});

describe('other commands', () => {
  it('keep their arguments: a command of a pipeline may be sent again by ioredis after its answer', async () => {
    const pipeline = client.pipeline();
    pipeline.eval('return 1', 0);
    const queued = (pipeline as unknown as { _queue: Command[] })._queue;
    await pipeline.exec();
    expect(queued[0]?.args).toEqual(['return 1', '0']);
  });
});
