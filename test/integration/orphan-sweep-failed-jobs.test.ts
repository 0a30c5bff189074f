/**
 * The repair sweep and chunks whose jobs BullMQ failed, against the private Redis and the emulator
 * through the real SDK and the real worker. A job lands in BullMQ's `failed` set with its chunk not
 * final when what failed it is not the worker's failure handler (workers/sms-worker.ts onJobFailed):
 * a worker killed between BullMQ's failure and that handler's writes, a handler cut off by Redis,
 * a job failed through BullMQ's API by another program. The jobs here are failed that way: fetched
 * and failed through BullMQ's public API by a bare BullMQ worker, so no smsq handler runs.
 */
import { UnrecoverableError, Worker, type Job, type Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { systemClock } from '../../src/clock.js';
import { createLogger } from '../../src/logger.js';
import { createCallsQueue, createHousekeepingQueue } from '../../src/queue/calls-queue.js';
import { createChunkStore, chunkIdOf, type ChunkStore } from '../../src/queue/chunk-store.js';
import { createFollowUps, type FollowUps } from '../../src/queue/follow-ups.js';
import { jobIds } from '../../src/queue/job-schemas.js';
import { CALLS_QUEUE, createKeys } from '../../src/queue/keys.js';
import { DEFAULT_RECEIPT_SCHEDULE } from '../../src/queue/receipt-policy.js';
import { createSendStore } from '../../src/queue/send-store.js';
import { createCompletion } from '../../src/receipts/completion.js';
import { FAILURE_SETTLE_MS } from '../../src/repair/chunk-jobs.js';
import { createOrphanSweep, type OrphanSweep } from '../../src/repair/orphan-sweep.js';
import { runCli } from '../../cli/program.js';
import { harnessPerTest, type Harness } from '../support/pipeline.js';
import { testRedisUrl } from '../support/redis.js';
import { everyKind } from '../support/receipt-policies.js';
import { collector } from '../support/text-collector.js';
import { waitFor } from '../support/wait.js';

const CODE = { signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '123456' }, kind: 'verification' as const };
const NO_RECEIPTS = everyKind('none');

interface Setup {
  h: Harness;
  calls: Queue;
  chunks: ChunkStore;
  followUps: FollowUps;
  log: { readonly text: string };
  sweep: OrphanSweep;
}

const harnesses = harnessPerTest();

async function setup(label: string): Promise<Setup> {
  const h = await harnesses.create({ label });
  const keys = createKeys(h.prefix);
  const calls = createCallsQueue({ connection: h.redis, prefix: h.prefix });
  const housekeeping = createHousekeepingQueue({ connection: h.redis, prefix: h.prefix });
  harnesses.defer(async () => void (await Promise.all([calls, housekeeping].map((q) => q.close()))));
  const chunks = createChunkStore({ redis: h.redis, keys, clock: systemClock });
  const sends = createSendStore({ redis: h.redis, keys });
  const followUps = createFollowUps({ calls, housekeeping, clock: systemClock, receiptPolicies: NO_RECEIPTS, receiptSchedule: DEFAULT_RECEIPT_SCHEDULE });
  const completion = createCompletion({ sends, onEnded: (id) => followUps.callback(id) });
  const log = collector();
  const logger = createLogger({ level: 'info' }, log);
  const sweep = createOrphanSweep({ redis: h.redis, keys, calls, chunks, sends, followUps, completion, clock: systemClock, logger, firstLookAfterMs: 50, minAgeMs: 0 });
  return { h, calls, chunks, followUps, log, sweep };
}

/**
 * Takes each waiting job of the calls queue, in BullMQ's order, and ends it as `end` says, through
 * BullMQ's public API: no smsq processor or failure handler sees it.
 */
async function finishJobs(s: Setup, end: (job: Job) => Error | undefined): Promise<string[]> {
  const bare = new Worker(CALLS_QUEUE, null, { connection: s.h.redis.duplicate(), prefix: s.h.prefix });
  const done: string[] = [];
  try {
    for (let job = await bare.getNextJob('bare'); job; job = await bare.getNextJob('bare')) {
      const err = end(job);
      if (err) await job.moveToFailed(err, 'bare');
      else await job.moveToCompleted({ outcome: 'look-again' }, 'bare', false);
      done.push(job.id as string);
    }
  } finally {
    await bare.close();
  }
  return done;
}

/** A verification code whose send job claimed its chunk, made its call and lost the answer: the chunk `unknown` at attempt 1, its job gone. */
async function unknownChunk(s: Setup, phone: string): Promise<{ sendId: string; chunkId: string }> {
  const { sendId } = await s.h.producer.send({ phones: [phone], ...CODE });
  const chunkId = chunkIdOf(sendId, '0');
  await s.calls.remove(jobIds.send(chunkId, 1));
  const claim = await s.chunks.claim(chunkId, sendId);
  if (claim.type !== 'send') throw new Error(`expected a send claim, got ${claim.type}`);
  expect((await s.chunks.transition(chunkId, sendId, { trigger: 'answer-unknown', outId: claim.outId, fields: { code: 'SMSQ_WORKER_LOST' } })).applied).toBe(true);
  return { sendId, chunkId };
}

/**
 * Time on, as far as the failure and the chunk say: the chunk's last change and the job's end moved
 * back by `ms` (and the job's a further `jobMs`), rather than the test waiting out FAILURE_SETTLE_MS or a minute.
 */
async function timeOn(s: Setup, chunkId: string, jobId: string, ms: number, jobMs = 0): Promise<void> {
  const back = async (key: string, field: string, by: number) => s.h.redis.hset(key, field, Number(await s.h.redis.hget(key, field)) - by);
  await back(createKeys(s.h.prefix).chunk(chunkId), 'updatedAt', ms);
  await back(`${s.h.prefix}:${CALLS_QUEUE}:${jobId}`, 'finishedOn', ms + jobMs);
}

/** The chunk is accepted, after its look-up found nothing, and its number was sent to once. */
async function acceptedOnce(s: Setup, chunkId: string, phone: string): Promise<void> {
  await waitFor(async () => (await s.chunks.get(chunkId))?.state === 'accepted', `chunk ${chunkId} to be sent after its look-up`, 20_000);
  expect(s.h.emulator.accepted().filter((a) => a.phoneNumbers.includes(phone)).length).toBe(1);
}

describe('repair sweep: chunks whose jobs BullMQ failed', () => {
  it('a queued verification code whose send job failed is looked up and sent once, and the sweep says which job failed and why', async () => {
    const s = await setup('rep-failed-send');
    const phone = '13800000031';
    const { sendId } = await s.h.producer.send({ phones: [phone], ...CODE });
    const chunkId = chunkIdOf(sendId, '0');
    const jobId = jobIds.send(chunkId, 1);
    expect(await finishJobs(s, () => new Error('job stalled more than allowable limit'))).toEqual([jobId]);
    expect(await s.calls.getJobState(jobId)).toBe('failed');
    expect(await s.chunks.get(chunkId)).toMatchObject({ state: 'queued', attempt: 0 });
    // Just failed: smsq's own failure handler may be about to record it, nothing said of it yet.
    expect((await s.h.producer.getStatus(sendId)).wait).toEqual({ reason: 'no-worker' });
    await timeOn(s, chunkId, jobId, FAILURE_SETTLE_MS);
    // Status says what holds it: no job will send it until the sweep (it read as queued, nothing said).
    expect((await s.h.producer.getStatus(sendId)).wait).toEqual({ reason: 'job-failed', chunks: 1, recipients: 1, jobId, failedReason: 'job stalled more than allowable limit' });
    const out = collector();
    const env = { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: s.h.prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: s.h.endpoint, LOG_LEVEL: 'warn' };
    expect(await runCli(['status', sendId], { stdout: out, stderr: collector(), env })).toBe(0);
    expect(out.text).toContain(`1 recipient in 1 chunk left unsent by a job BullMQ failed without smsq recording it (${jobId}: job stalled more than allowable limit)`);

    const report = await s.sweep.run();
    expect(report.found.queuedWithoutJob).toBe(1);
    // Never resent without a look-up: marked unknown at the attempt a lost claim would have made.
    expect(await s.chunks.get(chunkId)).toMatchObject({ state: 'unknown', attempt: 1, code: 'SMSQ_ORPHANED' });
    const line = s.log.text.split('\n').find((l) => l.includes(chunkId));
    expect(line).toBeDefined();
    expect(JSON.parse(line as string)).toMatchObject({ level: 40, sendId, chunkId, jobId, job: 'failed', failedReason: 'job stalled more than allowable limit' });
    // Its look-up waits now, for a worker only: the failed job holds it no more.
    expect((await s.h.producer.getStatus(sendId)).wait).toEqual({ reason: 'no-worker' });

    await s.h.startWorker({ receiptPolicies: NO_RECEIPTS });
    await acceptedOnce(s, chunkId, phone);
  });

  it('the real worker refusing a send job\'s data (edited in a writable Bull Board, or added by another version) leaves its code queued: status says so, the sweep looks it up, it is sent once', async () => {
    const s = await setup('rep-refused-data');
    const phone = '13800000034';
    const { sendId } = await s.h.producer.send({ phones: [phone], ...CODE });
    const chunkId = chunkIdOf(sendId, '0');
    const jobId = jobIds.send(chunkId, 1);
    // As Bull Board's "edit job data" writes it (job.updateData), or a program of another version adds it.
    await (await s.calls.getJob(jobId))?.updateData({ sendId: 'sother', chunkId });
    const workerLog = collector();
    const worker = await s.h.startWorker({ receiptPolicies: NO_RECEIPTS, logger: createLogger({ level: 'info' }, workerLog), repair: null });
    await waitFor(async () => (await s.calls.getJobState(jobId)) === 'failed', 'the worker to fail the job');
    // The worker says what becomes of the chunk (it said only that the job failed).
    await waitFor(() => workerLog.text.includes(`send job with invalid data failed: chunk ${chunkId} is not sent by it, and stays unsent until the repair sweep looks it up`), 'the worker to say so');
    expect(await s.chunks.get(chunkId)).toMatchObject({ state: 'queued', attempt: 0 });
    await timeOn(s, chunkId, jobId, FAILURE_SETTLE_MS);
    expect((await s.h.producer.getStatus(sendId)).wait).toMatchObject({ reason: 'job-failed', chunks: 1, recipients: 1, jobId });

    expect((await s.sweep.run()).found.queuedWithoutJob).toBe(1);
    await acceptedOnce(s, chunkId, phone);
    await worker.close();
  });

  it('a send job with invalid data for a chunk already sent, or for no chunk on record, says so: not that the chunk stays unsent until the sweep', async () => {
    const s = await setup('rep-refused-stale');
    const phone = '13800000036';
    const { sendId } = await s.h.producer.send({ phones: [phone], ...CODE });
    const chunkId = chunkIdOf(sendId, '0');
    const workerLog = collector();
    const worker = await s.h.startWorker({ receiptPolicies: NO_RECEIPTS, logger: createLogger({ level: 'info' }, workerLog), repair: null });
    try {
      await waitFor(async () => (await s.chunks.get(chunkId))?.state === 'accepted', 'the code sent');
      // A stale job of another attempt, and one naming a chunk no send wrote, with data that does not parse.
      const stale = jobIds.send(chunkId, 2);
      const gone = chunkIdOf('snever0000000000', '0');
      await s.calls.add('send', { sendId: 'sother', chunkId }, { jobId: stale });
      await s.calls.add('send', { sendId: 'sother', chunkId: gone }, { jobId: jobIds.send(gone, 1) });
      await waitFor(() => workerLog.text.includes(`chunk ${gone}`) && workerLog.text.includes(stale), 'the worker to fail both jobs');
      const said = workerLog.text.split('\n').filter((l) => l.includes('send job with invalid data'));
      expect(said.find((l) => l.includes(stale))).toContain(`send job with invalid data failed: chunk ${chunkId} is accepted already: nothing of it is sent again by this job`);
      expect(said.find((l) => l.includes(gone))).toContain(`send job with invalid data failed: chunk ${gone} is not on record (ended and expired with its send, or never written): nothing is sent`);
      expect(said.join('\n')).not.toMatch(/stays unsent/);
      expect(s.h.emulator.accepted().filter((a) => a.phoneNumbers.includes(phone)).length).toBe(1);
    } finally {
      await worker.close();
    }
  });

  it('a queued verification code whose job was removed (Bull Board\'s clean with write access) is said by status once unchanged for a minute, then looked up and sent once', async () => {
    const s = await setup('rep-removed-send');
    const phone = '13800000035';
    const { sendId } = await s.h.producer.send({ phones: [phone], ...CODE });
    const chunkId = chunkIdOf(sendId, '0');
    // What Bull Board's clean of a job does (job.remove()).
    await (await s.calls.getJob(jobIds.send(chunkId, 1)))?.remove();
    // Changed within the minute: its follow-up job may be on its way, nothing said of it yet.
    expect((await s.h.producer.getStatus(sendId)).wait).toEqual({ reason: 'no-worker' });
    // A minute on (its record's last change moved back rather than the test waiting it out).
    await s.h.redis.hset(createKeys(s.h.prefix).chunk(chunkId), 'updatedAt', Date.now() - 120_000);
    expect((await s.h.producer.getStatus(sendId)).wait).toEqual({ reason: 'job-missing', chunks: 1, recipients: 1 });

    expect((await s.sweep.run()).found.queuedWithoutJob).toBe(1);
    expect((await s.h.producer.getStatus(sendId)).wait).toEqual({ reason: 'no-worker' });
    await s.h.startWorker({ receiptPolicies: NO_RECEIPTS });
    await acceptedOnce(s, chunkId, phone);
  });

  it('an unknown chunk whose look-ups ran past 16 looks, the last one failed, is looked up again (it stayed unknown for good)', async () => {
    const s = await setup('rep-failed-look');
    const phone = '13800000032';
    // Then 20 looks of a long settling window (SMSQ_RECONCILE_SETTLE_MS=120000 makes 24 at 5 s),
    // the 20th failed for good (its tries spent) with nobody to see it.
    const { sendId, chunkId } = await unknownChunk(s, phone);
    const lookId = (look: number) => jobIds.reconcilePage({ chunkId, attempt: 1, look, dateIndex: 0, page: 1 });
    for (let look = 1; look <= 20; look++) {
      await s.followUps.reconcile({ sendId, chunkId, attempt: 1, look, dateIndex: 0, page: 1 }, 'verification', 0);
      await finishJobs(s, (job) => (job.id === lookId(20) ? new UnrecoverableError('QuerySendDetails failed') : undefined));
    }
    expect(await s.calls.getJobState(lookId(20))).toBe('failed');
    await timeOn(s, chunkId, lookId(20), FAILURE_SETTLE_MS);

    await s.sweep.run();
    // The next look, not one a finished job holds (BullMQ ignores an add under an existing id).
    expect(await s.calls.getJobState(lookId(21))).toMatch(/^(delayed|waiting|prioritized)$/);
    expect(JSON.parse(s.log.text.split('\n').find((l) => l.includes(chunkId)) as string)).toMatchObject({ chunkId, jobId: lookId(20), job: 'failed', failedReason: 'QuerySendDetails failed' });

    await s.h.startWorker({ receiptPolicies: NO_RECEIPTS });
    // Never sent, so the look-up finds nothing, waits out the settling window and resends once.
    await acceptedOnce(s, chunkId, phone);
  });

  it('a failure older than the chunk\'s last change is not blamed: its live job removed since, status says job-missing and the sweep names no failed job', async () => {
    const s = await setup('rep-old-failure');
    const { sendId } = await s.h.producer.send({ phones: ['13800000036'], ...CODE });
    const chunkId = chunkIdOf(sendId, '0');
    const failedId = jobIds.send(chunkId, 1);
    expect(await finishJobs(s, () => new Error('job stalled more than allowable limit'))).toEqual([failedId]);
    // After it failed, the chunk moved on (claimed, its call's answer lost: unknown at attempt 1),
    // and the look-up job that held it then was removed (Bull Board's clean).
    const claim = await s.chunks.claim(chunkId, sendId);
    if (claim.type !== 'send') throw new Error(`expected a send claim, got ${claim.type}`);
    expect((await s.chunks.transition(chunkId, sendId, { trigger: 'answer-unknown', outId: claim.outId, fields: { code: 'SMSQ_WORKER_LOST' } })).applied).toBe(true);
    // Two minutes on, the failure a minute older than the chunk's last change.
    await timeOn(s, chunkId, failedId, 120_000, 60_000);
    expect((await s.h.producer.getStatus(sendId)).wait).toEqual({ reason: 'job-missing', chunks: 1, recipients: 1 });

    expect((await s.sweep.run()).found.unknownWithoutJob).toBe(1);
    const line = JSON.parse(s.log.text.split('\n').find((l) => l.includes(chunkId)) ?? '{}') as Record<string, unknown>;
    expect(line.job).toBeUndefined();
    expect(s.log.text).not.toContain(failedId);
  });

  it('a look-up chain longer than 16 looks with its newest look still waiting is left alone, not reported as orphaned', async () => {
    const s = await setup('rep-long-chain');
    const { sendId, chunkId } = await unknownChunk(s, '13800000033');
    for (let look = 1; look <= 18; look++) {
      await s.followUps.reconcile({ sendId, chunkId, attempt: 1, look, dateIndex: 0, page: 1 }, 'verification', 0);
      if (look < 18) await finishJobs(s, () => undefined);
    }
    const report = await s.sweep.run();
    expect(report.found.unknownWithoutJob).toBe(0);
  });
});
