/**
 * What an undone claim costs its send job in starts (BullMQ's `ats`, which maxStartedAttempts caps).
 *
 * A claim not confirmed durable (SMSQ_NOT_DURABLE: the replicas mode's WAIT timed out) is undone
 * before its call and its job put back. Each such put-back spent one of the job's starts (BullMQ's
 * `ats`, capped by maxStartedAttempts), every second: a replica lagging for a few minutes failed
 * queued messages with SMSQ_GAVE_UP. Now the start is given back and the job waits longer each time
 * (1 s doubling to 60 s), and once the replica is back it goes out once.
 *
 * A claim held past its call deadline (SMSQ_CLAIM_EXPIRED) still spends its start, by design: put
 * back ready at once, a claim that waits past the deadline every time would loop for ever, and the
 * start is what bounds it (send-processor.ts). Settings under which every claim would pass its
 * deadline are refused at start (contradictory-worker-settings.test.ts); here a worker's clock
 * leaps at every reading, so every claim is held up past its deadline, as a worker paused between
 * each claim and its call would be.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/clock.js';
import type { DurabilityOptions } from '../../src/durability/mode.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { createProducer } from '../../producers/producer.js';
import { createSmsWorker } from '../../workers/sms-worker.js';
import { startReplicatedRedis } from '../support/replicated-redis.js';
import { startEmulatorClient } from '../support/emulator-client.js';
import { createHarness, FAST_TIMING } from '../support/pipeline.js';
import { createProducerConnection } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

const logger = createLogger({ level: 'silent' });
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('a claim not confirmed durable', () => {
  it('spends no start of its job, waits longer each time, and goes out once when the replica is back', async () => {
    const pair = await startReplicatedRedis({ appendfsync: 'everysec' }, (close) => void closers.push(close));
    const redis = new Redis(pair.primary.url, { maxRetriesPerRequest: null });
    closers.push(() => void redis.disconnect());
    const producerRedis = createProducerConnection(pair.primary.url);
    closers.push(() => void producerRedis.disconnect());
    const durability: DurabilityOptions = { mode: 'replicas', replicas: 1, timeoutMs: 200 };
    const prefix = '{smsq-nd-starts}';
    const { emulator, client } = await startEmulatorClient((close) => void closers.push(close));
    const worker = createSmsWorker({ connection: redis, client, logger, prefix, qps: 50, readTimeoutMs: 1000, concurrency: 1, durability, ...FAST_TIMING });
    closers.push(() => worker.close());
    await worker.start();

    // The replica stops answering (it stays connected, so the worker's checks pass): every WAIT
    // times out. A send enqueued meanwhile by a producer that does not wait for it.
    pair.replicaProcess.kill('SIGSTOP');
    const producer = createProducer({ redis: producerRedis, prefix, logger, durability: { ...durability, mode: 'none' } });
    closers.push(() => producer.close());
    const phone = '13900000031';
    const { sendId } = await producer.send({ phones: [phone], signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' });
    const chunkKey = `${prefix}:chunk:${sendId}.0`;

    // When each undo of the claim was seen.
    const undoneAt: number[] = [];
    await waitFor(async () => {
      const undone = Number((await redis.hget(chunkKey, 'undone')) ?? 0);
      while (undoneAt.length < undone) undoneAt.push(Date.now());
      return undone >= 3;
    }, 'three claims undone for want of the replica', 30_000, 25);
    expect(await redis.hget(chunkKey, 'code')).toBe('SMSQ_NOT_DURABLE');
    const [jobKey] = (await redis.keys(`${prefix}:calls:s.${sendId}.0.a*`)).filter((k) => !k.endsWith(':lock'));
    const starts = Number(await redis.hget(jobKey as string, 'ats'));
    // At most the start of a run under way now; each put-back gave its own back.
    expect(starts).toBeLessThanOrEqual(1);
    // Backed off, not a claim a second: the gaps between undos grow (about 1.2 s, then 2.2 s). A
    // ratio, not a margin in ms: each gap is seen through 25 ms polls on a box that may be loaded;
    // the doubling itself is the back-off's unit test's.
    const gaps = undoneAt.slice(1).map((t, i) => t - (undoneAt[i] as number));
    expect(gaps[1] as number, JSON.stringify(gaps)).toBeGreaterThan(1.5 * (gaps[0] as number));
    expect(emulator.calls().filter((c) => c.action === 'SendSms')).toHaveLength(0);

    // The replica is back: the chunk, queued again by each undo (no call was made), goes out once.
    pair.replicaProcess.kill('SIGCONT');
    await waitFor(async () => (await producer.getStatus(sendId)).counts.accepted === 1, 'the send to go out once the replica is back', 20_000);
    expect(emulator.accepted().flatMap((a) => a.phoneNumbers).filter((p) => p === phone)).toHaveLength(1);
  }, 60_000);
});

describe('a claim held past its call deadline', () => {
  it('spends a start of its job each time: the bound on a claim that expires every time', async () => {
    const h = await createHarness({ label: 'expired-starts' });
    closers.push(() => h.close());
    // Each reading of the worker's clock is 3 s after the one before: between its claim and its
    // call every claim ages past the 2.5 s call deadline. An undone claim is made again at once,
    // and expires again.
    let leapt = Date.now();
    const leaping: Clock = { now: () => (leapt += FAST_TIMING.reconcile.callDeadlineMs + 500) };
    await h.startWorker({ clock: leaping, concurrency: 1, maxStartedAttempts: 1000 });
    const { sendId } = await h.producer.send({ phones: ['13830000041'], signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '1' }, kind: 'verification' });
    const chunkKey = `${h.prefix}:chunk:${sendId}.0`;
    await waitFor(async () => {
      const [code, undone] = await h.redis.hmget(chunkKey, 'code', 'undone');
      return code === 'SMSQ_CLAIM_EXPIRED' && Number(undone) >= 3;
    }, 'a claim undone three times past its call deadline', 20_000, 25);
    const [jobKey] = (await h.redis.keys(`${h.prefix}:calls:s.${sendId}.0.a*`)).filter((k) => !k.endsWith(':lock'));
    expect(Number(await h.redis.hget(jobKey as string, 'ats'))).toBeGreaterThanOrEqual(3);
    expect(h.emulator.calls().filter((c) => c.action === 'SendSms')).toHaveLength(0);
  }, 30_000);
});
