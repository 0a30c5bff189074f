/**
 * What an asker (`smsq status`, `/v1/sends/{id}` through the producer, the CLI's warning after an
 * enqueue) says a send waits for judges the ages of what workers stamped (heartbeats, settings
 * words, durability holds, endpoint back-offs, a flow-control retry) on Redis's clock, not its own:
 * against the suite's real Redis, workers in sync with it (this host's clock is Redis's) and an
 * asker whose clock is 90 s off, it must say what an asker in sync would.
 */
import { Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { CliContext } from '../../cli/context.js';
import { openProducer } from '../../cli/pipeline.js';
import { createProducer } from '../../producers/producer.js';
import { systemClock, type Clock } from '../../src/clock.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { createCallMetricsRecorder } from '../../src/metrics/call-metrics.js';
import { metricKeys } from '../../src/metrics/metric-keys.js';
import { createDurabilityHoldAnnouncer } from '../../src/queue/durability-holds.js';
import { createEndpointBackoffAnnouncer, ENDPOINT_BACKOFF_GRACE_MS } from '../../src/queue/endpoint-backoffs.js';
import { CALLS_QUEUE, createKeys } from '../../src/queue/keys.js';
import { createWorkerSettingsAnnouncer } from '../../src/queue/worker-settings.js';
import { collector } from '../support/text-collector.js';
import { clockOff } from '../support/clock-off.js';
import { createProducerConnection, createTestConnection, deleteKeys, testRedisUrl, uniquePrefix } from '../support/redis.js';

const OFF_MS = 90_000;
const WORKER = 'host-a:101:w1';
const logger = createLogger({ level: 'silent' });
const closers: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A prefix with a verification code enqueued (active, its chunk queued: no worker takes it), and a producer on `clock` to ask about it. */
async function sendWaiting(label: string, clock: Clock) {
  const redis = createTestConnection();
  const prefix = uniquePrefix(label);
  closers.push(() => redis.disconnect(), () => deleteKeys(redis, prefix));
  const producerRedis = createProducerConnection();
  closers.push(() => producerRedis.disconnect());
  const producer = createProducer({ redis: producerRedis, prefix, logger, clock });
  closers.push(() => producer.close());
  const { sendId } = await producer.send({ signName: N.sign, templateCode: N.verificationTemplate, kind: 'verification', templateParam: { code: '1234' }, phones: ['13800000101'] });
  return { redis, prefix, keys: createKeys(prefix), producer, sendId };
}

/**
 * A worker in sync with Redis that beats now (its settings word and heartbeat) and is connected to
 * the calls queue (CLIENT LIST finds it), taking no job: the send stays queued.
 */
async function workerBeating(redis: ReturnType<typeof createTestConnection>, prefix: string) {
  const connection = createTestConnection();
  closers.push(() => connection.disconnect());
  const connected = new Worker(CALLS_QUEUE, async () => undefined, { connection, prefix, autorun: false });
  closers.push(() => connected.close());
  await connected.waitUntilReady();
  const words = createWorkerSettingsAnnouncer({ redis, keys: createKeys(prefix), clock: systemClock, logger, quietHours: undefined, workerId: WORKER });
  await words.start();
  closers.push(() => words.stop());
  const recorder = createCallMetricsRecorder({ redis, prefix, flushIntervalMs: 60_000, writerId: WORKER });
  closers.push(() => recorder.close());
  recorder.startHeartbeat();
  await recorder.flush();
}

/** The CLI's producer on `clock`, its connection up as after an enqueue (the producer's calls wait for it; the worker look-up does not). */
async function cliProducer(redisUrl: string, prefix: string, clock: Clock) {
  const ctx = new CliContext({ stdout: collector(), stderr: collector(), env: { REDIS_URL: redisUrl, SMSQ_PREFIX: prefix, LOG_LEVEL: 'silent' }, clock });
  closers.push(() => ctx.close());
  const cli = openProducer(ctx);
  await expect(cli.producer.getStatus('smx-none')).rejects.toThrow(/not found|no send/i);
  return cli;
}

describe('an asker whose clock is off the workers\' and Redis\'s', () => {
  it(`${OFF_MS / 1000} s behind: a worker that died 10 s ago no longer counts, so the send waits for a worker`, async () => {
    const { redis, prefix, producer, sendId } = await sendWaiting('behind', clockOff(-OFF_MS));
    // A worker killed 10 s ago: its last beat stays in the set (only a clean stop takes it out).
    await redis.zadd(metricKeys(prefix).writers, Date.now() - 10_000, WORKER);
    // On the asker's clock the beat is 80 s ahead, "fresh": the dead worker counted, no CLIENT LIST asked.
    expect((await producer.getStatus(sendId)).wait).toEqual({ reason: 'no-worker' });
  });

  it(`${OFF_MS / 1000} s behind: the CLI's warning after an enqueue does not count a worker that died 10 s ago`, async () => {
    const redis = createTestConnection();
    const prefix = uniquePrefix('cli-behind');
    closers.push(() => redis.disconnect(), () => deleteKeys(redis, prefix));
    await redis.zadd(metricKeys(prefix).writers, Date.now() - 10_000, WORKER);
    const cli = await cliProducer(testRedisUrl(), prefix, clockOff(-OFF_MS));
    expect(await cli.workersSeen()).toBe(0);
  });

  it(`${OFF_MS / 1000} s ahead, on a Redis that refuses CLIENT LIST: the CLI counts the worker that beats now, not "unknown"`, async () => {
    const redis = createTestConnection();
    const prefix = uniquePrefix('cli-ahead');
    const user = `smsq-no-client-ahead-${process.pid}`;
    await redis.call('ACL', 'SETUSER', user, 'reset', 'on', '>limited-password-2', '~*', '&*', '+@all', '-client');
    closers.push(() => redis.disconnect(), () => deleteKeys(redis, prefix), () => redis.call('ACL', 'DELUSER', user));
    const url = new URL(testRedisUrl());
    url.username = user;
    url.password = 'limited-password-2';
    await redis.zadd(metricKeys(prefix).writers, Date.now(), WORKER);
    const cli = await cliProducer(url.toString(), prefix, clockOff(OFF_MS));
    // On the CLI's clock the beat is 90 s old: no heartbeat in the minute, and CLIENT LIST refused.
    expect(await cli.workersSeen()).toBe(1);
  });

  it(`${OFF_MS / 1000} s ahead: a live worker's durability hold is still said`, async () => {
    const { redis, prefix, keys, producer, sendId } = await sendWaiting('ahead-hold', clockOff(OFF_MS));
    await workerBeating(redis, prefix);
    const holds = createDurabilityHoldAnnouncer({ redis, keys, clock: systemClock, logger });
    closers.push(() => holds.stop());
    await holds.say('appendfsync is everysec');
    expect((await producer.getStatus(sendId)).wait).toMatchObject({ reason: 'durability-held', workers: 1 });
  });

  it(`${OFF_MS / 1000} s ahead: a live worker's back-off from SMS_ENDPOINT is still said; ${OFF_MS / 1000} s behind, one past its grace is not`, async () => {
    const { redis, prefix, keys, producer, sendId } = await sendWaiting('ahead-backoff', clockOff(OFF_MS));
    await workerBeating(redis, prefix);
    const backoffs = createEndpointBackoffAnnouncer({ redis, keys, clock: systemClock, logger, workerId: WORKER });
    closers.push(() => backoffs.stop());
    await backoffs.say({ until: Date.now() + 5000, fault: 'ConnectionRefused', endpoint: '127.0.0.1:1' });
    expect((await producer.getStatus(sendId)).wait).toMatchObject({ reason: 'endpoint-unreachable', workers: 1, fault: 'ConnectionRefused' });

    const behindRedis = createProducerConnection();
    closers.push(() => behindRedis.disconnect());
    const behind = createProducer({ redis: behindRedis, prefix, logger, clock: clockOff(-OFF_MS) });
    closers.push(() => behind.close());
    await backoffs.say({ until: Date.now() - ENDPOINT_BACKOFF_GRACE_MS - 1000, fault: 'ConnectionRefused', endpoint: '127.0.0.1:1' });
    expect((await behind.getStatus(sendId)).wait?.reason).not.toBe('endpoint-unreachable');
  });

  it(`${OFF_MS / 1000} s ahead: a flow-control retry 30 s ahead on the workers' clocks is still said`, async () => {
    const { redis, prefix, keys, producer, sendId } = await sendWaiting('ahead-flow', clockOff(OFF_MS));
    await workerBeating(redis, prefix);
    const retryAt = Date.now() + 30_000;
    await redis.hset(keys.chunk(`${sendId}.0`), 'code', 'isv.BUSINESS_LIMIT_CONTROL', 'flowRetryAt', String(retryAt));
    expect((await producer.getStatus(sendId)).wait).toEqual({ reason: 'flow-control', retryAt });
  });
});
