/**
 * A producer and a server on the caller's connection (docs/package.md, "The HTTP server inside a
 * service"): once both are closed, neither sends anything more on it, so the caller's `quit()` is
 * the last command and is answered. Redis closes a connection after QUIT, and with commands
 * arriving behind the QUIT it resets it instead, and the client can lose the QUIT's reply: its
 * `quit()` then rejects with "Connection is closed." (ioredis alone, three INFOs right behind a
 * QUIT: 246 of 300 QUITs rejected). The docs example failed so under load, uncaught at its exit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, createProducer, createRedisConnection } from '../../exports/index.js';
import { buildServer } from '../../exports/server.js';
import { startReplyHoldingFront } from '../support/reply-holding-front.js';
import { testRedisUrl, uniquePrefix } from '../support/redis.js';

const closers: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('a producer and a server closed before their connection was ready', () => {
  it('send nothing on it once Redis answers: the caller\'s next command is the next on the wire', async () => {
    // ioredis's ready check (INFO) goes unanswered until release(): the connection stays in its handshake.
    const front = await startReplyHoldingFront({ port: Number(new URL(testRedisUrl()).port) }, '$4\r\ninfo\r\n');
    closers.push(() => front.close());
    const redis = createRedisConnection(`redis://127.0.0.1:${front.port}`, { role: 'client' });
    closers.push(() => redis.disconnect());
    const prefix = uniquePrefix('closed-early');
    const producer = createProducer({ redis, prefix });
    const app = await buildServer({ redis, prefix, producer, logger: createLogger({ level: 'silent' }), insecure: true });
    await front.holding();
    expect(redis.status).toBe('connect');
    await app.close();
    await producer.close();

    front.mark();
    const ready = new Promise((resolve) => redis.once('ready', resolve));
    front.release();
    await ready;
    // Whatever the connection's 'ready' set going is written by now: it runs on promise callbacks.
    await new Promise((resolve) => setImmediate(resolve));
    expect(await redis.ping()).toBe('PONG');
    // Before: each of the three queues (the producer's, the server's two) sent BullMQ's INFO here.
    expect(front.sentSinceMark()).toBe('*1\r\n$4\r\nping\r\n');
    expect(await redis.quit()).toBe('OK');
  });
});
