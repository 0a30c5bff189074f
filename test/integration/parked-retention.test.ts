/**
 * What a paused send leaves in Redis once it is forgotten: its parked set (the ids of its jobs
 * parked while it was paused) must go with the send's other records, and its queued recipients
 * must not stay counted in the totals across sends (`smsq_recipients{state="queued"}`) once its
 * records have expired. Retention is in seconds here, as a retention probe ran it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createProducer, type Producer } from '../../producers/producer.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createKeys } from '../../src/queue/keys.js';
import type { SmsWorkerOptions } from '../../workers/sms-worker.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';
import { withdrawalSweep } from '../support/withdrawal-sweep.js';

let h: Harness | undefined;
let producer: Producer | undefined;
afterEach(async () => {
  await producer?.close();
  producer = undefined;
  await h?.close();
  h = undefined;
});

/** Verification codes go one number a chunk: `n` numbers are `n` chunks, each its own job. */
function phones(base: number, n: number): string[] {
  return Array.from({ length: n }, (_, i) => String(base + i));
}

/** A harness whose own producer gives verification sends `retentionSeconds`, and workers the same. */
async function withRetention(label: string, retentionSeconds: number) {
  const harness = await createHarness({ label });
  h = harness;
  producer = createProducer({ redis: harness.producerRedis, prefix: harness.prefix, logger: harness.logger, retention: { verification: retentionSeconds } });
  return { harness, producer, keys: createKeys(harness.prefix), retention: { verification: retentionSeconds } };
}

/** A send paused before any worker runs (none of its chunks sent), then its jobs parked by a worker with `worker` options. */
async function pausedAndParked(harness: Harness, p: Producer, numbers: string[], worker: Partial<SmsWorkerOptions>, extra: { deadline?: number } = {}): Promise<string> {
  const { sendId } = await p.send({ phones: numbers, signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '1234' }, kind: 'verification', ...extra });
  await p.pause(sendId);
  await harness.startWorker(worker);
  await waitFor(async () => (await harness.redis.scard(createKeys(harness.prefix).sendParked(sendId))) === numbers.length, 'its jobs to be parked');
  return sendId;
}

describe('the parked set of a paused send', () => {
  it('expires with the send: a send paused past its retention leaves no parked set behind', async () => {
    const { harness, producer: p, keys, retention } = await withRetention('parked-ttl', 4);
    const sendId = await pausedAndParked(harness, p, phones(13872000000, 3), { retention, repair: null });
    const sendTtl = await harness.redis.pttl(keys.send(sendId));
    const parkedTtl = await harness.redis.pttl(keys.sendParked(sendId));
    expect(parkedTtl).toBeGreaterThan(0);
    expect(parkedTtl).toBeLessThanOrEqual(sendTtl + 50);
    await waitFor(async () => (await harness.redis.exists(keys.send(sendId))) === 0, 'the send to expire', 6000);
    await waitFor(async () => (await harness.redis.exists(keys.sendParked(sendId))) === 0, 'the parked set to expire with it', 1000);
  });

  it('a paused send that ends expired at its deadline, its jobs woken by their own park: the sweep forgets their ids without saying a wake was cut off', async () => {
    const { harness, producer: p, keys } = await withRetention('parked-deadline-sweep', 3600);
    // Not compacted (SMSQ_COMPACT_FINISHED=false, or a send of over 1,000 recipients): compaction deletes the set.
    const sendId = await pausedAndParked(harness, p, phones(13872000100, 3), { repair: null, compactFinished: false }, { deadline: Date.now() + 1500 });
    await waitFor(async () => (await p.getStatus(sendId)).send.state === 'expired', 'the send to end expired at its deadline', 5000);
    await waitFor(async () => (await harness.redis.zcard(`${harness.prefix}:calls:delayed`)) === 0, 'no job parked any more');

    const sweep = withdrawalSweep({ redis: harness.redis, prefix: harness.prefix, logger: harness.logger, startAt: Date.now() + 120_000, graceMs: 600_000 });
    try {
      const report = await sweep.sweep.run();
      expect(report.samples.parkedOfEndedSend ?? []).not.toContain(sendId);
      expect(report.found.parkedOfEndedSend ?? 0).toBe(0);
    } finally {
      await sweep.close();
    }
    expect(await harness.redis.exists(keys.sendParked(sendId))).toBe(0);
  });
});

describe('a send paused up to the end of its retention', () => {
  it('is cancelled by the repair sweep before its records expire, so that its queued recipients leave the totals across sends; one with retention to spare stays paused', async () => {
    const harness = await createHarness({ label: 'paused-retention' });
    h = harness;
    producer = createProducer({ redis: harness.producerRedis, prefix: harness.prefix, logger: harness.logger, retention: { verification: 5, notification: 3600 } });
    const keys = createKeys(harness.prefix);
    const forgotten = await producer.send({ phones: phones(13872000200, 3), signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '1234' }, kind: 'verification' });
    await producer.pause(forgotten.sendId);
    const kept = await producer.send({ phones: ['13872000300', '13872000301'], signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' });
    await producer.pause(kept.sendId);
    await harness.startWorker({ retention: { verification: 5, notification: 3600 }, repair: null });
    await waitFor(async () => (await harness.redis.scard(keys.sendParked(forgotten.sendId))) === 3, 'its jobs to be parked');
    expect(await harness.redis.hget(keys.recipientTotals(), 'queued')).toBe('5');

    // The sweep judges within 10 s of the end (twice an interval of 5 s): the verification send has less left.
    const sweep = withdrawalSweep({ redis: harness.redis, prefix: harness.prefix, logger: harness.logger, startAt: Date.now(), graceMs: 600_000, retentionLapseMs: 10_000 });
    try {
      const report = await sweep.sweep.run();
      expect(report.samples.pausedPastRetention).toEqual([forgotten.sendId]);
    } finally {
      await sweep.close();
    }
    const status = await producer.getStatus(forgotten.sendId);
    expect(status.send.state).toBe('cancelled');
    expect(status.counts.cancelled).toBe(3);
    expect((await producer.getStatus(kept.sendId)).send.state).toBe('paused');
    // Once its records are gone, the totals still say what became of its recipients.
    await waitFor(async () => (await harness.redis.exists(keys.send(forgotten.sendId))) === 0, 'its records to expire', 8000);
    const totals = await harness.redis.hgetall(keys.recipientTotals());
    expect(Number(totals.queued)).toBe(2);
    expect(Number(totals.cancelled)).toBe(3);
    expect(harness.emulator.accepted().flatMap((a) => a.phoneNumbers)).toEqual([]);
  });
});
