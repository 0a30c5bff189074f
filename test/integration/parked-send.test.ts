/**
 * The jobs of a paused send are parked: delayed, their ids in the send's parked set, until
 * something that un-pauses the send wakes them. They were parked for `recheckMs` (a minute, as
 * the quiet hours' re-check), so every chunk of a paused send ran again each minute for as long
 * as the pause lasted: a campaign of 10,000 chunks paused for a day made ~167 job runs a second
 * that did nothing, and a deadline passed while it was paused ended it up to a minute late.
 * Here the quiet re-check is 100 ms, so the old parking shows as runs that grow while paused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createEnqueuer } from '../../producers/enqueuer.js';
import { systemClock } from '../../src/clock.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createCallsQueue } from '../../src/queue/calls-queue.js';
import { createChunkStore } from '../../src/queue/chunk-store.js';
import { createKeys } from '../../src/queue/keys.js';
import { retentionFromDays } from '../../src/queue/retention.js';
import { endCutShortEnqueue } from '../../src/queue/send-cancel.js';
import { createSendStore } from '../../src/queue/send-store.js';
import type { SmsWorker, SmsWorkerOptions } from '../../workers/sms-worker.js';
import { createHarness, fastReconcileFor, type Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';
import { withdrawalSweep } from '../support/withdrawal-sweep.js';

let h: Harness | undefined;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await h?.close();
  h = undefined;
});

/** Verification codes go one number a chunk: `n` numbers are `n` chunks, each its own job. */
function phones(base: number, n: number): string[] {
  return Array.from({ length: n }, (_, i) => String(base + i));
}

type SendExtra = { deadline?: number; idempotencyKey?: string };

function verificationSend(numbers: string[], extra: SendExtra) {
  return { phones: numbers, signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '1234' }, kind: 'verification' as const, ...extra };
}

async function pausedSend(harness: Harness, numbers: string[], extra: SendExtra = {}): Promise<string> {
  const { sendId } = await harness.producer.send(verificationSend(numbers, extra));
  await harness.producer.pause(sendId);
  return sendId;
}

/** How many times the worker has taken up a job of this send. */
function countRuns(worker: SmsWorker, sendId: string): () => number {
  let runs = 0;
  worker.worker.on('active', (job) => {
    if (String(job.id).includes(sendId)) runs++;
  });
  return () => runs;
}

async function allParked(harness: Harness, sendId: string, chunks: number): Promise<void> {
  const parked = createKeys(harness.prefix).sendParked(sendId);
  const delayed = `${harness.prefix}:calls:delayed`;
  // In the set, then delayed, then the job's own look at the control: a change made before that
  // look is seen by the job itself, and would not test what wakes a parked job.
  await waitFor(async () => (await harness.redis.scard(parked)) === chunks && (await harness.redis.zcard(delayed)) >= chunks, 'its jobs to be parked');
  await new Promise((r) => setTimeout(r, 200));
}

/**
 * A paused send of `n` chunks whose jobs a worker (`worker` options) has all parked, with the
 * runs of its jobs counted from the worker's start; `before` changes the send before the worker starts.
 */
async function parkedSend(label: string, base: number, n: number, worker: Partial<SmsWorkerOptions> = {}, extra: SendExtra = {}, before?: (harness: Harness, sendId: string) => Promise<unknown>) {
  const harness = await createHarness({ label });
  h = harness;
  const numbers = phones(base, n);
  const sendId = await pausedSend(harness, numbers, extra);
  await before?.(harness, sendId);
  const runs = countRuns(await harness.startWorker(worker), sendId);
  await allParked(harness, sendId, n);
  return { harness, numbers, sendId, runs };
}

function sentTo(harness: Harness, numbers: string[]): number[] {
  const accepted = harness.emulator.accepted().flatMap((a) => a.phoneNumbers);
  return numbers.map((p) => accepted.filter((a) => a === p).length);
}

const QUIET_RECHECK = { recheckMs: 100 };

describe('the jobs of a paused send', () => {
  it('stay parked while it is paused, with no re-runs; resume wakes them at once and each chunk goes out once', async () => {
    const { harness, numbers, sendId, runs } = await parkedSend('parked-stays', 13871000000, 12, QUIET_RECHECK);
    const parkedAfter = runs();
    // Fifteen quiet re-check intervals: parked by it, each job ran again about fifteen times.
    await new Promise((r) => setTimeout(r, 1500));
    expect(runs() - parkedAfter).toBe(0);
    expect(sentTo(harness, numbers)).toEqual(numbers.map(() => 0));

    const resumedAt = Date.now();
    await harness.producer.resume(sendId);
    await waitFor(async () => (await harness.producer.getStatus(sendId)).counts.accepted === numbers.length, 'every chunk once resumed', 3000);
    expect(Date.now() - resumedAt).toBeLessThan(3000);
    await new Promise((r) => setTimeout(r, 300));
    expect(sentTo(harness, numbers)).toEqual(numbers.map(() => 1));
    expect(await harness.redis.scard(createKeys(harness.prefix).sendParked(sendId))).toBe(0);
  });

  it('resume wakes more jobs than one wake batch, passing over ids in the set that are no longer delayed', async () => {
    const { harness, numbers, sendId } = await parkedSend('parked-batches', 13871000500, 150);
    // A job gone, and one finished: neither is delayed, and promote refuses both.
    const parked = createKeys(harness.prefix).sendParked(sendId);
    const other = await harness.producer.send({ phones: ['13871000999'], signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' });
    await waitFor(async () => (await harness.producer.getStatus(other.sendId)).counts.accepted === 1, 'the other send');
    const [otherJob] = (await harness.redis.keys(`${harness.prefix}:calls:s.${other.sendId}.0.a*`)).filter((k) => !k.endsWith(':lock'));
    expect(otherJob).toBeDefined();
    await harness.redis.sadd(parked, 's.gone.0.a1', String(otherJob).slice(`${harness.prefix}:calls:`.length));
    await harness.producer.resume(sendId);
    await waitFor(async () => (await harness.producer.getStatus(sendId)).counts.accepted === numbers.length, 'every chunk once resumed', 5000);
    await new Promise((r) => setTimeout(r, 300));
    expect(sentTo(harness, numbers)).toEqual(numbers.map(() => 1));
    expect(await harness.redis.scard(parked)).toBe(0);
  });

  it('a deadline that passes while it is paused ends it expired at the deadline, not at the end of a park', async () => {
    const deadline = Date.now() + 2000;
    // The default re-check and park: a minute, and more.
    const { harness, numbers, sendId } = await parkedSend('parked-deadline', 13871000100, 3, {}, { deadline });
    await waitFor(async () => (await harness.producer.getStatus(sendId)).send.state === 'expired', 'the send to end expired', 6000);
    expect(Date.now() - deadline).toBeLessThan(2000);
    const status = await harness.producer.getStatus(sendId);
    expect(status.counts.expired).toBe(numbers.length);
    expect(sentTo(harness, numbers)).toEqual(numbers.map(() => 0));
  });

  it('a cancel while they are parked ends the send and its jobs at once', async () => {
    const { harness, numbers, sendId, runs } = await parkedSend('parked-cancel', 13871000200, 6);
    const parkedAfter = runs();
    await harness.producer.cancel(sendId);
    const delayed = `${harness.prefix}:calls:delayed`;
    // Woken, each job runs once more, finds its chunk cancelled and completes.
    await waitFor(async () => runs() - parkedAfter === numbers.length && (await harness.redis.zcard(delayed)) === 0, 'its parked jobs to run and end', 3000);
    const status = await harness.producer.getStatus(sendId);
    expect(status.send.state).toBe('cancelled');
    expect(status.counts.cancelled).toBe(numbers.length);
    expect(sentTo(harness, numbers)).toEqual(numbers.map(() => 0));
  });

  it('a resume whose wake never came (its process died after writing it) is sent at the safety-net park', async () => {
    const { harness, numbers, sendId } = await parkedSend('parked-lost-wake', 13871000300, 4, { ...QUIET_RECHECK, parkMs: 1000 });
    // The resume's write alone, as `resume` makes it, without the wake that follows.
    const sends = createSendStore({ redis: harness.redis, keys: createKeys(harness.prefix) });
    await sends.setControl(sendId, 'resume', 'resumed by an operator');
    await waitFor(async () => (await harness.producer.getStatus(sendId)).counts.accepted === numbers.length, 'every chunk at the safety-net park', 4000);
    expect(sentTo(harness, numbers)).toEqual(numbers.map(() => 1));
  });

  it('a resume whose wake was lost is woken by a retry of the request with its idempotency key, not left to the 30-minute park', async () => {
    const extra = { idempotencyKey: 'parked-retry-1' };
    const { harness, numbers, sendId } = await parkedSend('parked-retry-wake', 13871000600, 3, {}, extra);
    const sends = createSendStore({ redis: harness.redis, keys: createKeys(harness.prefix) });
    await sends.setControl(sendId, 'resume', 'resumed by an operator');
    const again = await harness.producer.send(verificationSend(numbers, extra));
    expect(again.sendId).toBe(sendId);
    await waitFor(async () => (await harness.producer.getStatus(sendId)).counts.accepted === numbers.length, 'every chunk once the retry woke them', 3000);
    expect(sentTo(harness, numbers)).toEqual(numbers.map(() => 1));
  });

  it('a record whose raw control says paused where its state does not is parked once, not woken and parked again in a loop', async () => {
    // The claim reads the raw `control`; status derives it from the state (`sent`: active).
    const sent = (harness: Harness, sendId: string) => harness.redis.hset(createKeys(harness.prefix).send(sendId), 'state', 'sent');
    const { harness, numbers, runs } = await parkedSend('parked-raw-control', 13871000400, 4, {}, {}, sent);
    await new Promise((r) => setTimeout(r, 1000));
    expect(runs()).toBeLessThanOrEqual(numbers.length);
    expect(sentTo(harness, numbers)).toEqual(numbers.map(() => 0));
  });
});

/** The jobs parked in Redis as delayed: what a wake moves on. */
async function stillDelayed(harness: Harness): Promise<number> {
  return harness.redis.zcard(`${harness.prefix}:calls:delayed`);
}

/**
 * A send whose producer died mid-enqueue (its enqueue never ended) with `n` verification chunks
 * written and their jobs added, paused, its jobs parked by a worker.
 */
async function parkedMidEnqueue(label: string, base: number, n: number) {
  const harness = await createHarness({ label });
  h = harness;
  const keys = createKeys(harness.prefix);
  const queue = createCallsQueue({ connection: harness.redis, prefix: harness.prefix });
  closers.push(() => queue.close());
  const sends = createSendStore({ redis: harness.redis, keys });
  const chunks = createChunkStore({ redis: harness.redis, keys, clock: systemClock });
  const enqueuer = createEnqueuer({ keys, redis: harness.redis, queue, chunks, sends, retention: retentionFromDays() });
  const sendId = `smxpark${Date.now().toString(36)}`;
  await enqueuer.createSend({ sendId, kind: 'verification', api: 'SendSms', templateCode: N.verificationTemplate, signName: N.sign, recipients: 0, rejected: 0, duplicates: 0, chunks: 0, createdAt: Date.now() });
  const numbers = phones(base, n);
  await enqueuer.addChunks(sendId, 'verification', 0, numbers.map((p) => ({ api: 'SendSms' as const, phones: [p], signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '1234' } })));
  await harness.producer.pause(sendId);
  await harness.startWorker();
  await allParked(harness, sendId, n);
  return { harness, keys, chunks, sends, sendId, numbers };
}

/** The repair sweep as a worker runs it, past the enqueue grace (10 min by default). */
async function sweepPastGrace(harness: Harness) {
  const sweep = withdrawalSweep({ redis: harness.redis, prefix: harness.prefix, logger: harness.logger, startAt: Date.now() + 11 * 60_000, graceMs: 10 * 60_000 });
  try {
    return await sweep.sweep.run();
  } finally {
    await sweep.close();
  }
}

describe('the jobs parked while a send was paused, when the send ends otherwise', () => {
  it('a worker failing the whole send (signature unusable) while another chunk is parked ends that chunk failed at once, not after its park', async () => {
    // Every answer 1.5 s late: long enough to pause the send and park the other chunk while the
    // first chunk's call is out. The read timeout outlasts it, so the answer is the signature's.
    const harness = await createHarness({ label: 'parked-fail-send', emulator: { latencyMs: 1500 }, readTimeoutMs: 3000 });
    h = harness;
    const workerOptions = { concurrency: 1, reconcile: fastReconcileFor(undefined, 3000) };
    const numbers = phones(13871000700, 2);
    const { sendId } = await harness.producer.send({ ...verificationSend(numbers, {}), signName: N.rejectedSign });
    await harness.startWorker(workerOptions);
    await waitFor(async () => (await harness.producer.getStatus(sendId)).counts.sending === 1, 'the first chunk in its call');
    await harness.producer.pause(sendId);
    await harness.startWorker(workerOptions);
    await waitFor(async () => (await harness.redis.scard(createKeys(harness.prefix).sendParked(sendId))) === 1, 'the other chunk parked', 1000);

    await waitFor(async () => (await harness.producer.getStatus(sendId)).counts.failed === numbers.length, 'both chunks failed', 4000);
    const status = await harness.producer.getStatus(sendId);
    expect(status.send.state).toBe('failed');
    expect(status.send.code).toMatch(/SIGN/);
    // The parked chunk ended by its claim, without a call of its own.
    expect(harness.emulator.calls().filter((c) => c.action === 'SendSms')).toHaveLength(1);
    expect(await harness.redis.scard(createKeys(harness.prefix).sendParked(sendId))).toBe(0);
    await waitFor(async () => (await stillDelayed(harness)) === 0, 'no job left parked', 2000);
  });

  it('the repair sweep failing a paused send abandoned mid-enqueue wakes its parked jobs, which end at once', async () => {
    const { harness, sendId, numbers } = await parkedMidEnqueue('parked-abandoned', 13871000800, 3);
    const report = await sweepPastGrace(harness);
    expect(report.samples.enqueuingAbandoned).toEqual([sendId]);
    await waitFor(async () => (await stillDelayed(harness)) === 0, 'its parked jobs woken and ended', 3000);
    const status = await harness.producer.getStatus(sendId);
    expect(status.send).toMatchObject({ state: 'failed', code: 'SMSQ_ENQUEUE_ABANDONED' });
    expect(status.counts.failed).toBe(numbers.length);
    expect(await harness.redis.scard(createKeys(harness.prefix).sendParked(sendId))).toBe(0);
    expect(sentTo(harness, numbers)).toEqual(numbers.map(() => 0));
  });

  it('a sweep cut off after ending the abandoned enqueue, before the wake: the next sweep wakes the parked jobs', async () => {
    const { harness, keys, chunks, sends, sendId, numbers } = await parkedMidEnqueue('parked-abandoned-cut', 13871000900, 3);
    // What the cut-off sweep wrote: the send failed as abandoned and its enqueue ended; no wake.
    expect(await sends.fail(sendId, 'abandon', 'enqueue abandoned: nothing written for 11 min')).toBe(true);
    expect(await endCutShortEnqueue({ redis: harness.redis, keys, chunks, sends }, sendId, 'abandoned')).toBeDefined();
    await new Promise((r) => setTimeout(r, 300));
    expect(await stillDelayed(harness)).toBe(numbers.length);

    const report = await sweepPastGrace(harness);
    expect(report.samples.parkedOfEndedSend).toEqual([sendId]);
    await waitFor(async () => (await stillDelayed(harness)) === 0, 'its parked jobs woken and ended by the next sweep', 3000);
    expect(await harness.redis.scard(keys.sendParked(sendId))).toBe(0);
    expect((await harness.producer.getStatus(sendId)).counts.failed).toBe(numbers.length);
    expect(sentTo(harness, numbers)).toEqual(numbers.map(() => 0));
  });
});
