/**
 * A producer's events consumer (`producer.events()`): its blocking read waits on a connection of
 * its own, so the producer's calls on the connection it was given do not queue behind it; and the
 * consumer's connection ends with the consumer, or with the producer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createProducer } from '../../producers/producer.js';
import { createEventConsumer } from '../../src/receipts/events.js';
import { createKeys } from '../../src/queue/keys.js';
import { Redis } from 'ioredis';
import { createRedisConnection, redisConnectionOptions } from '../../src/queue/connection.js';
import { waitFor } from '../support/wait.js';
import { startTcpFront } from '../support/tcp-front.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { testRedisUrl, uniquePrefix, deleteKeys, createTestConnection } from '../support/redis.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } };

/** Which of two promises settles first. */
async function firstOf(a: Promise<unknown>, b: Promise<unknown>): Promise<'a' | 'b'> {
  return Promise.race([a.then(() => 'a' as const), b.then(() => 'b' as const)]);
}

/** Connections Redis has open whose name is `name`. */
async function clientsNamed(h: Harness, name: string): Promise<number> {
  const list = (await h.redis.call('CLIENT', 'LIST')) as string;
  return list.split('\n').filter((line) => line.includes(` name=${name} `)).length;
}

describe('events consumer', () => {
  it("a read waiting for events does not hold the producer's calls: they answer while it waits", async () => {
    // A producer that also reads events (an order service updating its orders) sent nothing for as
    // long as each read blocked: ioredis answers one connection's commands in order.
    h = await createHarness({ label: 'ev-block' });
    const sent = await h.producer.send({ ...NOTE, phones: ['13850000001'] });
    const consumer = await h.producer.events({ group: 'orders', consumer: 'c1', startAt: '$' });
    const reading = consumer.read({ blockMs: 1500 });
    // No worker runs: no event comes, so the read waits its whole 1.5 s.
    expect(await firstOf(h.producer.getStatus(sent.sendId), reading)).toBe('a');
    expect(await reading).toEqual([]);
    await consumer.close();
  });

  it('close() ends a read in progress (it answers no events) and the connection it waited on; producer.close() does it for the consumers it made', async () => {
    h = await createHarness({ label: 'ev-close' });
    // A producer's connection, named so that it and its duplicates can be counted in CLIENT LIST.
    const named = `ev-close-${process.pid}`;
    const redis = new Redis(testRedisUrl(), { ...redisConnectionOptions({ role: 'client' }), connectionName: named });
    const producer = createProducer({ redis, prefix: h.prefix });
    try {
      const first = await producer.events({ group: 'orders', consumer: 'c1' });
      const second = await producer.events({ group: 'orders', consumer: 'c2' });
      const base = await clientsNamed(h!, named);
      const reading = first.read({ blockMs: 2000 });
      const alsoReading = second.read({ blockMs: 2000 });
      await expect.poll(() => clientsNamed(h!, named), { timeout: 2000 }).toBe(base + 2);
      const closing = first.close();
      expect(await firstOf(reading, new Promise((r) => setTimeout(r, 1000)))).toBe('a');
      expect(await reading).toEqual([]);
      await closing;
      await expect(first.read()).rejects.toMatchObject({ code: 'SMSQ_PRODUCER_CLOSED' });
      await expect.poll(() => clientsNamed(h!, named), { timeout: 2000 }).toBe(base + 1);
      await producer.close();
      expect(await alsoReading).toEqual([]);
      redis.disconnect();
      await expect.poll(() => clientsNamed(h!, named), { timeout: 2000 }).toBe(0);
    } finally {
      redis.disconnect();
    }
  });

  // A producer takes no worker connection (createProducer refuses it: producer-connection.test.ts); the consumer itself still may.
  it('on a worker connection, a read during an outage waits for Redis to be back (it failed at once, so a loop of reads spun), then answers', async () => {
    const front = await startTcpFront(Number(new URL(testRedisUrl()).port || 6379));
    const prefix = uniquePrefix('ev-outage');
    const redis = createRedisConnection(`redis://127.0.0.1:${front.port}${new URL(testRedisUrl()).pathname}`, { role: 'worker' });
    redis.on('error', () => {});
    const admin = createTestConnection();
    try {
      const consumer = await createEventConsumer({ redis, keys: createKeys(prefix), group: 'orders', consumer: 'c1' });
      expect(await consumer.read({ blockMs: 10 })).toEqual([]);
      await front.close();
      await waitFor(() => redis.status === 'reconnecting', 'the producer connection to wait to reconnect');
      const reading = consumer.read({ blockMs: 200 });
      let settled = 'pending';
      reading.then(
        () => (settled = 'resolved'),
        (err: unknown) => (settled = `rejected: ${(err as Error).message}`),
      );
      await new Promise((r) => setTimeout(r, 500));
      expect(settled).toBe('pending');
      await front.open();
      expect(await reading).toEqual([]);
      await consumer.close();
    } finally {
      redis.disconnect();
      await front.close();
      await deleteKeys(admin, prefix);
      admin.disconnect();
    }
  });
});
