/**
 * Jobs put on smsq's queues by someone else than smsq's own producer and workers (an older
 * version, a script of an operator, a hostile client of the Redis): the worker parses each one
 * and refuses what does not hold, with a reason that names the field; it never calls Dysmsapi
 * for it and never writes under a send it was not made for.
 */
import { Queue, type Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createCallsQueue } from '../../src/queue/calls-queue.js';
import { HOUSEKEEPING_QUEUE } from '../../src/queue/keys.js';
import { JOB, jobIds } from '../../src/queue/job-schemas.js';
import { createProducer } from '../../producers/producer.js';
import { startSignedReceiver } from '../support/ingest.js';
import { harnessPerTest, type Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } };
const harnesses = harnessPerTest();

async function keysOf(h: Harness): Promise<string[]> {
  return (await h.redis.keys(`${h.prefix}:*`)).sort();
}

async function failedReason(queue: Queue, job: Job): Promise<string> {
  await waitFor(async () => (await queue.getJob(job.id as string))?.failedReason !== undefined, `job ${job.id} failed`);
  return (await queue.getJob(job.id as string))?.failedReason as string;
}

describe('a call job naming a chunk of another send', () => {
  it('is refused before any claim: a paused send is not sent through it, and no counts appear under the send it names', async () => {
    const h = await harnesses.create({ label: 'foreign-send-job' });
    const { sendId } = await h.producer.send({ ...NOTE, phones: ['13800138000'] });
    await h.producer.pause(sendId);
    const chunkId = `${sendId}.0`;
    const queue = createCallsQueue({ connection: h.redis, prefix: h.prefix });
    const forged = 'sforged000000000000';
    const jobs = await Promise.all([
      queue.add(JOB.send, { sendId: forged, chunkId }, { jobId: 'forged-send' }),
      queue.add(JOB.reconcile, { sendId: forged, chunkId, attempt: 1, look: 1, dateIndex: 0, page: 1 }, { jobId: 'forged-reconcile' }),
      queue.add(JOB.receipt, { sendId: forged, chunkId, look: 1, cursor: 0, dateIndex: 0, page: 1, waiting: 0 }, { jobId: 'forged-receipt' }),
    ]);
    await h.startWorker();
    for (const job of jobs) {
      expect(await failedReason(queue, job)).toMatch(new RegExp(`chunkId.*${chunkId}.*not a chunk of send ${forged}`));
    }
    // Before: the paused send's chunk was claimed and sent (its pause lives on its own send record),
    // and counts of -1 queued and +1 sending appeared under send:sforged…:counts.
    expect(h.emulator.calls().filter((c) => c.action === 'SendSms')).toEqual([]);
    expect((await keysOf(h)).filter((k) => k.includes(forged))).toEqual([]);
    expect((await h.producer.getStatus(sendId)).counts).toMatchObject({ queued: 1, sending: 0 });
    await queue.close();
  });

  it('of its own send but out of range, or with a number written as text, fails naming it; nothing is called', async () => {
    const h = await harnesses.create({ label: 'foreign-odd-job' });
    const { sendId } = await h.producer.send({ ...NOTE, phones: ['13800138001'] });
    await h.producer.pause(sendId);
    const queue = createCallsQueue({ connection: h.redis, prefix: h.prefix });
    const [outOfRange, separators] = await Promise.all([
      queue.add(JOB.send, { sendId, chunkId: `${sendId}.99` }, { jobId: 'out-of-range' }),
      queue.add(JOB.reconcile, { sendId, chunkId: `${sendId}.0`, attempt: '1,000', look: 1, dateIndex: 0, page: 1 }, { jobId: 'separators' }),
    ]);
    await h.startWorker();
    expect(await failedReason(queue, outOfRange)).toMatch(new RegExp(`chunk ${sendId}\\.99 does not exist`));
    expect(await failedReason(queue, separators)).toMatch(/attempt: must be a number, got a string\. Fix: /);
    expect(h.emulator.calls()).toEqual([]);
    await queue.close();
  });
});

describe('a housekeeping job with invalid data', () => {
  it('fails saying which field is wrong (it said only "has invalid data")', async () => {
    const h = await harnesses.create({ label: 'foreign-housekeeping' });
    const housekeeping = new Queue(HOUSEKEEPING_QUEUE, { connection: h.redis, prefix: h.prefix });
    const jobs = await Promise.all([
      housekeeping.add(JOB.callback, { sendId: 42 }, { jobId: 'bad-callback' }),
      housekeeping.add(JOB.expire, { sendId: 's1', chunk: 's1.0' }, { jobId: 'bad-expire' }),
      housekeeping.add(JOB.callback, 's1', { jobId: 'not-an-object' }),
    ]);
    await h.startWorker();
    expect(await failedReason(housekeeping, jobs[0])).toMatch(/sendId.*string.*number/);
    expect(await failedReason(housekeeping, jobs[1])).toMatch(/chunkId/);
    expect(await failedReason(housekeeping, jobs[2])).toMatch(/has invalid data, .*: \(job data\): must be an object, got a string\. Fix: /);
    await housekeeping.close();
  });
});

describe('a callback job for a send that has not ended', () => {
  it('posts nothing while the send goes on, then the end it reaches (one added by hand posted "send.paused", signed, and held the real callback\'s id)', async () => {
    const h = await harnesses.create({ label: 'foreign-callback' });
    const secret = 'the-producers-callback-secret';
    const receiver = await startSignedReceiver(secret);
    const producer = createProducer({ redis: h.producerRedis, prefix: h.prefix, logger: h.logger, callbacks: true });
    try {
      const { sendId } = await producer.send({ ...NOTE, phones: ['13800138002'], callbackUrl: receiver.url });
      await producer.pause(sendId);
      const housekeeping = new Queue(HOUSEKEEPING_QUEUE, { connection: h.redis, prefix: h.prefix });
      const job = await housekeeping.add(JOB.callback, { sendId }, { jobId: jobIds.callback(sendId) });
      await h.startWorker({ callbackSecret: secret });
      await waitFor(async () => (await housekeeping.getJob(job.id as string))?.isDelayed(), 'the callback job to wait for the send\'s end');
      expect(receiver.got).toEqual([]);
      await producer.cancel(sendId);
      // The job looks again within a minute; promoted here rather than waited for.
      await (await housekeeping.getJob(job.id as string))?.promote();
      await waitFor(() => receiver.got.length > 0, 'the callback');
      expect(receiver.got).toEqual([{ ok: true, body: expect.objectContaining({ event: 'send.cancelled', sendId }) }]);
      await housekeeping.close();
    } finally {
      await producer.close();
      await receiver.close();
    }
  });
});
