/**
 * The gate in front of every producer call (src/queue/redis-gate.ts), against a real Redis: a
 * burst of calls while the first connect is under way shares one wait. And against a port where
 * an HTTP server answers instead: every call is told so, even when a reset lost the first answer.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
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

  describe('a link reset before anything answered', () => {
    /** A TCP server whose first `resets` connections are reset at once; later ones answer as an HTTP server answers RESP. */
    async function resettingServer(resets: number): Promise<{ url: string; connections: () => number; close: () => Promise<unknown> }> {
      let connections = 0;
      const server = net.createServer((socket) => {
        connections++;
        socket.on('error', () => {});
        if (connections <= resets) socket.resetAndDestroy();
        else socket.once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return { url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections, close: () => new Promise((r) => server.close(r)) };
    }

    it('waits for the next attempt, which tells what listens there (a reset that lost an HTTP server\'s answer was told as "read ECONNRESET", fix "start Redis there")', async () => {
      const server = await resettingServer(1);
      const conn = createRedisConnection(server.url, { role: 'client', lazyConnect: true });
      try {
        const err = await createRedisGate({ redis: conn, timeoutMs: 5000 }).run(() => conn.get('k')).then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(RedisUnavailableError);
        expect((err as RedisUnavailableError).reason).toBe('answered, but not as Redis (it speaks HTTP?)');
        expect(server.connections()).toBeGreaterThanOrEqual(2);
      } finally {
        conn.disconnect();
        await server.close();
      }
    });

    it('a link reset on every attempt is told as the reset, once the connect timeout is out', async () => {
      const server = await resettingServer(Number.POSITIVE_INFINITY);
      const conn = createRedisConnection(server.url, { role: 'client', lazyConnect: true });
      try {
        const err = await createRedisGate({ redis: conn, timeoutMs: 600 }).run(() => conn.get('k')).then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(RedisUnavailableError);
        expect((err as RedisUnavailableError).reason).toMatch(/ECONNRESET/);
        expect(server.connections()).toBeGreaterThanOrEqual(2);
      } finally {
        conn.disconnect();
        await server.close();
      }
    });
  });
});
