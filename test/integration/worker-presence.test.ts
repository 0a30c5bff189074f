/**
 * Whether a worker serves a prefix, against the suite's real Redis and a real BullMQ queue: a
 * heartbeat counts, a connected worker counts, a heartbeat a few seconds old counts only with a
 * connection (its worker may be gone: a forced exit leaves its last beat), and a Redis that refuses
 * CLIENT LIST (an ACL user without it, as on some managed Redis) gives "unknown", never "no worker".
 * The manual clock stands for Redis's time, which the callers read and give (redisNowMs); what an
 * asker with a clock of its own off Redis's sees is in asker-clock-ages.test.ts.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { Worker } from 'bullmq';
import { createManualClock } from '../../src/clock.js';
import { metricKeys } from '../../src/metrics/metric-keys.js';
import { openQueue } from '../../src/queue/calls-queue.js';
import { CALLS_QUEUE } from '../../src/queue/keys.js';
import { cachedWorkersSeen, WORKER_PRESENCE_TTL_MS, workersSeen, WRITER_FRESH_MS } from '../../src/queue/worker-presence.js';
import { createTestConnection, deleteKeys, testRedisUrl, uniquePrefix } from '../support/redis.js';

const redis = createTestConnection();
const closers: (() => Promise<unknown> | void)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  redis.disconnect();
});

describe('workersSeen', () => {
  it('none, then one by its connection to the queue, then by its heartbeat alone', async () => {
    const prefix = uniquePrefix('presence');
    closers.push(() => deleteKeys(redis, prefix));
    const clock = createManualClock(Date.now());
    const queue = openQueue(CALLS_QUEUE, { connection: redis, prefix });
    closers.push(() => queue.close());
    expect(await workersSeen({ redis, prefix, queue }, clock.now())).toBe(0);

    const worker = new Worker(CALLS_QUEUE, async () => undefined, { connection: createTestConnection(), prefix, autorun: true });
    await worker.waitUntilReady();
    await expect.poll(() => workersSeen({ redis, prefix, queue }, clock.now())).toBe(1);
    await worker.close();
    await expect.poll(() => workersSeen({ redis, prefix, queue }, clock.now())).toBe(0);

    await redis.zadd(metricKeys(prefix).writers, clock.now(), 'worker-a');
    expect(await workersSeen({ redis, prefix, queue }, clock.now())).toBe(1);
    clock.advance(61_000); // the heartbeat is over a minute old
    expect(await workersSeen({ redis, prefix, queue }, clock.now())).toBe(0);
  });

  it('a heartbeat older than WRITER_FRESH_MS counts only with a connection: the worker that beat it may be gone', async () => {
    const prefix = uniquePrefix('presence-stale');
    closers.push(() => deleteKeys(redis, prefix));
    const clock = createManualClock(Date.now());
    const queue = openQueue(CALLS_QUEUE, { connection: redis, prefix });
    closers.push(() => queue.close());
    // Two workers beat; the newest beat decides whether the beats are taken as they are.
    await redis.zadd(metricKeys(prefix).writers, clock.now() - 10_000, 'worker-a', clock.now(), 'worker-b');
    expect(await workersSeen({ redis, prefix, queue }, clock.now())).toBe(2);
    clock.advance(WRITER_FRESH_MS);
    expect(await workersSeen({ redis, prefix, queue }, clock.now())).toBe(2);
    // Past it, within the minute: nobody is connected to the queue (both exited at once), so none runs.
    clock.advance(1);
    expect(await workersSeen({ redis, prefix, queue }, clock.now())).toBe(0);
    // A worker alive and connected, whose beats are late: counted by its connection.
    const worker = new Worker(CALLS_QUEUE, async () => undefined, { connection: createTestConnection(), prefix, autorun: true });
    await worker.waitUntilReady();
    await expect.poll(() => workersSeen({ redis, prefix, queue }, clock.now())).toBe(1);
    await worker.close();
  });

  it('a Redis that refuses CLIENT LIST, and no heartbeat: unknown, not "no worker"', async () => {
    const prefix = uniquePrefix('presence-acl');
    const user = `smsq-no-client-${process.pid}`;
    await redis.call('ACL', 'SETUSER', user, 'reset', 'on', '>limited-password-1', '~*', '&*', '+@all', '-client');
    closers.push(() => redis.call('ACL', 'DELUSER', user));
    const url = new URL(testRedisUrl());
    url.username = user;
    url.password = 'limited-password-1';
    const limited = new Redis(url.toString(), { maxRetriesPerRequest: null });
    closers.push(() => limited.disconnect());
    const queue = openQueue(CALLS_QUEUE, { connection: limited, prefix });
    closers.push(() => queue.close());
    await expect(limited.call('CLIENT', 'LIST')).rejects.toThrow(/NOPERM/);
    const clock = createManualClock(Date.now());
    expect(await workersSeen({ redis: limited, prefix, queue }, clock.now())).toBeUndefined();
    // Its heartbeats, however old within the minute, are all it can tell by.
    closers.push(() => deleteKeys(redis, prefix));
    await redis.zadd(metricKeys(prefix).writers, clock.now(), 'worker-a');
    clock.advance(WRITER_FRESH_MS + 1000);
    expect(await workersSeen({ redis: limited, prefix, queue }, clock.now())).toBe(1);
  });
});

describe('cachedWorkersSeen', () => {
  it('asks once per period; callers in between share the answer', async () => {
    const prefix = uniquePrefix('presence-cache');
    closers.push(() => deleteKeys(redis, prefix));
    const clock = createManualClock(Date.now());
    const queue = openQueue(CALLS_QUEUE, { connection: redis, prefix });
    closers.push(() => queue.close());
    const seen = cachedWorkersSeen({ redis, prefix, queue, clock });
    expect(await seen(clock.now())).toBe(0);
    // A worker that beats through the period: its beat at the period's end is fresh then.
    await redis.zadd(metricKeys(prefix).writers, clock.now() + WORKER_PRESENCE_TTL_MS, 'worker-a');
    expect(await seen(clock.now())).toBe(0); // within the period: the answer kept
    clock.advance(WORKER_PRESENCE_TTL_MS);
    expect(await seen(clock.now())).toBe(1);
  });
});
