/**
 * The gate in front of every producer call (src/queue/redis-gate.ts), against a real Redis: a
 * burst of calls while the first connect is under way shares one wait. And against a port where
 * an HTTP server answers instead: every call is told so.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisUnavailableError } from '../../src/errors.js';
import { createRedisConnection } from '../../src/queue/connection.js';
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

  it('a REDIS_URL whose port an HTTP server answers: each call, made anew, is told that something answered there, not as Redis (the ready check\'s "Stream isn\'t writeable" after it made most say "the connection was lost")', async () => {
    const server = http.createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `redis://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      for (let i = 0; i < 8; i++) {
        const conn = createRedisConnection(url, { role: 'client', lazyConnect: true });
        const gate = createRedisGate({ redis: conn, timeoutMs: 5000 });
        const err = await gate.run(() => conn.get('k')).then(() => undefined, (e: unknown) => e);
        conn.disconnect();
        expect(err, `call ${i}`).toBeInstanceOf(RedisUnavailableError);
        expect((err as RedisUnavailableError).reason, `call ${i}`).toBe('answered, but not as Redis (it speaks HTTP?)');
      }
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
