/**
 * The gate in front of every producer call (src/queue/redis-gate.ts), against a real Redis: a
 * burst of calls while the first connect is under way shares one wait. And against a port where
 * an HTTP server answers instead: every call is told so, even when a reset lost the first answer.
 * And against a private redis-server stopped and started: what it says is the connection's state.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisUnavailableError } from '../../src/errors.js';
import { createRedisConnection } from '../../src/queue/connection.js';
import { createRedisGate } from '../../src/queue/redis-gate.js';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis.js';
import { testRedisUrl } from '../support/redis.js';
import { steadyPort } from '../support/steady-port.js';

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

describe("what the gate says of a connection that is down, against a private Redis stopped and started", () => {
  const servers: PrivateRedis[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.stop();
  });

  /** The connection's next failed reconnect attempt (what ioredis reports of it). */
  const nextRefusal = (conn: Redis) =>
    new Promise<void>((resolve) => {
      const onError = (err: { code?: string }) => {
        if (err.code !== 'ECONNREFUSED') return;
        conn.off('error', onError);
        resolve();
      };
      conn.on('error', onError);
    });
  const reasonOf = (p: Promise<unknown>) => p.then(() => 'ready', (e: unknown) => (e instanceof RedisUnavailableError ? e.reason : String(e)));

  it('refused now after a loss: says the refusal and the loss, even to a gate made during the outage (it said "the connection was lost; reconnecting" until the next attempt)', async () => {
    const server = await startPrivateRedis({ appendfsync: 'off' });
    servers.push(server);
    const conn = createRedisConnection(server.url, { role: 'client', connectTimeoutMs: 1000 }) as Redis;
    redis = conn;
    conn.on('error', () => {});
    await new Promise((r) => conn.once('ready', r));
    const before = createRedisGate({ redis: conn, timeoutMs: 1000 });

    // Lost, and no reconnect attempt made yet: the loss is all there is to say.
    const lost = new Promise<string>((resolve) => conn.once('reconnecting', () => resolve(reasonOf(before.ready()))));
    await servers.pop()!.stop();
    expect(await lost).toBe('the connection was lost; reconnecting');

    // Refused since: said so, by a gate made before the outage and by one made during it.
    await nextRefusal(conn);
    const refusedNow = /^connect ECONNREFUSED 127\.0\.0\.1:\d+; reconnecting since the connection was lost$/;
    expect(await reasonOf(before.ready())).toMatch(refusedNow);
    expect(await reasonOf(createRedisGate({ redis: conn, timeoutMs: 1000 }).ready())).toMatch(refusedNow);

    // Back: answered, and a later loss starts anew.
    servers.push(await startPrivateRedis({ appendfsync: 'off', port: server.port }));
    await new Promise((r) => conn.once('ready', r));
    expect(await before.run(() => conn.ping())).toBe('PONG');
  }, 30_000);

  it('never reached: says the refusal, not a loss, to a gate made after the first attempts (it said "the connection was lost; reconnecting")', async () => {
    const conn = createRedisConnection(`redis://127.0.0.1:${await steadyPort()}`, { role: 'client', connectTimeoutMs: 1000 }) as Redis;
    redis = conn;
    await nextRefusal(conn);
    expect(await reasonOf(createRedisGate({ redis: conn, timeoutMs: 1000 }).ready())).toMatch(/^connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
  }, 30_000);
});
