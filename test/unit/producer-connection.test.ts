import { Cluster, Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisConnection, type RedisConnection } from '../../src/queue/connection.js';
import { createProducer } from '../../producers/producer.js';
import { writesSentLater } from '../../producers/producer-connection.js';

// Lazy connections: nothing is connected, and a refused createProducer makes nothing on them.
const made: RedisConnection[] = [];
afterEach(() => {
  for (const redis of made.splice(0)) redis.disconnect();
});
const lazy = <T extends RedisConnection>(redis: T): T => {
  made.push(redis);
  return redis;
};
const url = 'redis://127.0.0.1:1';

describe("the producer's connection: one that would send a write later than it was given is refused", () => {
  it.each([
    ['ioredis defaults', () => lazy(new Redis(url, { lazyConnect: true })), ['enableOfflineQueue', 'autoResendUnfulfilledCommands']],
    ["role 'worker'", () => lazy(createRedisConnection(url, { role: 'worker', lazyConnect: true })), ['enableOfflineQueue', 'autoResendUnfulfilledCommands']],
    ['the offline queue alone', () => lazy(new Redis(url, { lazyConnect: true, autoResendUnfulfilledCommands: false })), ['enableOfflineQueue']],
    ['resending alone', () => lazy(new Redis(url, { lazyConnect: true, enableOfflineQueue: false })), ['autoResendUnfulfilledCommands']],
    ['a Cluster with ioredis defaults', () => lazy(new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true })), ['enableOfflineQueue', 'autoResendUnfulfilledCommands']],
    ["a Cluster with role 'worker'", () => lazy(createRedisConnection('redis+cluster://127.0.0.1:1', { role: 'worker', lazyConnect: true })), ['enableOfflineQueue', 'autoResendUnfulfilledCommands']],
  ] as const)('%s: refused, naming the options and the fix', (_, connect, options) => {
    const redis = connect();
    expect(writesSentLater(redis)).toEqual(options);
    let refusal: unknown;
    try {
      createProducer({ redis });
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toMatchObject({ code: 'SMSQ_PRODUCER_CONNECTION', name: 'ProducerConnectionError', options });
    const message = String((refusal as Error).message);
    for (const option of options) expect(message).toContain(`${option} is on`);
    expect(message).toContain("Fix: give the producer a connection of its own made with createRedisConnection(url, { role: 'client' })");
    expect(redis.status).toBe('wait'); // nothing was made on it
  });

  it.each([
    ["role 'client'", () => lazy(createRedisConnection(url, { role: 'client', lazyConnect: true }))],
    ["a Cluster with role 'client'", () => lazy(createRedisConnection('redis+cluster://127.0.0.1:1', { role: 'client', lazyConnect: true }))],
  ] as const)('%s: taken', (_, connect) => {
    expect(writesSentLater(connect())).toEqual([]);
  });
});
