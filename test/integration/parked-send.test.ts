/**
 * The jobs of a paused send are parked: delayed, their ids in the send's parked set, until
 * something that un-pauses the send wakes them. They were parked for `recheckMs` (a minute, as
 * the quiet hours' re-check), so every chunk of a paused send ran again each minute for as long
 * as the pause lasted: a campaign of 10,000 chunks paused for a day made ~167 job runs a second
 * that did nothing, and a deadline passed while it was paused ended it up to a minute late.
 * Here the quiet re-check is 100 ms, so the old parking shows as runs that grow while paused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createKeys } from '../../src/queue/keys.js';
import { createSendStore } from '../../src/queue/send-store.js';
import type { SmsWorker, SmsWorkerOptions } from '../../workers/sms-worker.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

let h: Harness | undefined;
afterEach(async () => {
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
