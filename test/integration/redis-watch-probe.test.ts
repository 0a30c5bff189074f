/**
 * The Redis watch's probe (a PING every probeMs on the watched connection) against real
 * redis-servers: a WAIT for a replica that is not there holds the connection (Redis answers it
 * only at its timeout) without Redis being gone; a probe under way when the watch stops says
 * nothing after; and on a `client` connection whose command timeout is the probe's wait, a frozen
 * Redis is said as the probe's silence, as docs/operations.md says, not as the drop that follows.
 */
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { clientCommandTimeoutMs, createRedisConnection } from '../../src/queue/connection.js';
import { createDurabilityBarrier } from '../../src/durability/barrier.js';
import { NotDurableError } from '../../src/errors.js';
import { startPrivateRedis } from '../../src/runtime/private-redis.js';
import { watchRedis } from '../../src/queue/redis-watch.js';
import { createLogger } from '../../src/logger.js';
import { collector } from '../support/text-collector.js';

const closers: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function redisServer() {
  const server = await startPrivateRedis({ appendfsync: 'off' });
  closers.push(() => server.stop());
  return server;
}

/**
 * A Redis of its own, and a watch over a client connection as `smsq server` opens it (durability
 * 1000 ms): its command timeout is the probe's wait.
 */
async function watchedAsServerOpensIt(connectTimeoutMs: number) {
  const server = await redisServer();
  const redis = createRedisConnection(server.url, { role: 'client', connectTimeoutMs, commandTimeoutMs: clientCommandTimeoutMs(connectTimeoutMs, 1000) });
  redis.on('error', () => {});
  closers.push(() => redis.disconnect());
  await new Promise((resolve) => redis.once('ready', resolve));
  const log = collector();
  const watch = watchRedis({ redis, logger: createLogger({ level: 'info' }, log), probeMs: connectTimeoutMs });
  closers.push(() => watch.stop());
  return { server, redis, log };
}

describe('the Redis watch probe', () => {
  it('does not call Redis gone while a durability WAIT holds the connection (it said "does not answer" for a replica that lagged)', async () => {
    const server = await redisServer();
    // A worker's connection (no command timeout), probed every 500 ms; the WAIT's timeout 1500 ms (SMSQ_DURABILITY_TIMEOUT_MS).
    const redis = createRedisConnection(server.url, { role: 'worker', connectTimeoutMs: 500 });
    redis.on('error', () => {});
    closers.push(() => redis.disconnect());
    await new Promise((resolve) => redis.once('ready', resolve));
    const log = collector();
    const watch = watchRedis({ redis, logger: createLogger({ level: 'info' }, log), probeMs: 500 });
    closers.push(() => watch.stop());
    const barrier = createDurabilityBarrier(async () => redis as Redis, { mode: 'replicas', replicas: 1, timeoutMs: 1500 });
    const since = await barrier.mark();
    await redis.set('k', 'v');
    // No replica here: the WAIT answers at its timeout, Redis answering throughout.
    await expect(barrier.confirm('a write', since)).rejects.toBeInstanceOf(NotDurableError);
    await pause(700);
    expect(await redis.ping()).toBe('PONG');
    expect(log.text).not.toMatch(/does not answer/);
  }, 20_000);

  it('says nothing after stop() of a probe that was waiting on a frozen Redis', async () => {
    const server = await redisServer();
    const redis = createRedisConnection(server.url, { role: 'worker', connectTimeoutMs: 1000 });
    redis.on('error', () => {});
    closers.push(() => redis.disconnect());
    await new Promise((resolve) => redis.once('ready', resolve));
    const log = collector();
    const watch = watchRedis({ redis, logger: createLogger({ level: 'info' }, log), probeMs: 1000 });
    server.process.kill('SIGSTOP');
    closers.push(() => void server.process.kill('SIGCONT'));
    await pause(1300); // the first probe (at 1 s) waits for its PING
    watch.stop(); // as a worker's close does: a shutdown is not an outage
    const atStop = log.text;
    await pause(1200); // past that probe's wait
    expect(log.text).toBe(atStop);
  }, 20_000);

  it('on a client connection whose command timeout is the probe\'s wait, says a frozen Redis as "no answer within N ms" (it said "connection closed")', async () => {
    // As smsq server opens it: connect 2500 ms, durability 1000 ms: command timeout 2500 ms, the probe's wait.
    const { server, log } = await watchedAsServerOpensIt(2500);
    server.process.kill('SIGSTOP');
    closers.push(() => void server.process.kill('SIGCONT'));
    await pause(8000);
    expect(log.text).toMatch(/"reason":"no answer within 2500 ms"/);
  }, 30_000);

  it('a PING left on a link that was dropped meanwhile says nothing once a new link answers (it said "does not answer" after "answers again", and nothing more while Redis answered)', async () => {
    // As smsq server opens it (SMSQ_REDIS_CONNECT_TIMEOUT_MS=4000): the probe's wait is the command timeout.
    const connectTimeoutMs = 4000;
    const { server, redis, log } = await watchedAsServerOpensIt(connectTimeoutMs);
    await pause(100);
    server.process.kill('SIGSTOP');
    let frozen = true;
    closers.push(() => void (frozen && server.process.kill('SIGCONT')));
    // A command (a push's) times out before the probe's PING (sent at 4 s) does, and drops the link;
    // the PING stays on it, unanswered. Thawed as the link is made again: it is ready before the PING's timeout.
    const dropped = redis.get('k').catch((err: unknown) => err);
    await new Promise((resolve) => redis.once('close', resolve));
    await new Promise((resolve) => redis.once('connect', resolve));
    server.process.kill('SIGCONT');
    frozen = false;
    await new Promise((resolve) => redis.once('ready', resolve));
    expect(String(await dropped)).toMatch(/Command timed out/);
    await pause(2 * connectTimeoutMs); // past the PING's timeout, and the next probe's
    expect(await redis.ping()).toBe('PONG');
    const said = log.text
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { msg: string }).msg)
      .map((msg) => (/does not answer/.test(msg) ? 'gone' : /answers again/.test(msg) ? 'back' : msg));
    expect(said).toEqual(['gone', 'back']);
  }, 40_000);
});
