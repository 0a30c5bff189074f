/**
 * Finished jobs' retention (calls-queue.ts JOB_RETENTION) is the workers', not written into every
 * job: a job's hash carries no removeOnComplete/removeOnFail, and BullMQ applies the worker's.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createCallsQueue, JOB_RETENTION } from '../../src/queue/calls-queue.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const HOUR = 3_600_000;

describe('finished jobs', () => {
  it('carry no retention of their own; a worker removes completed jobs past JOB_RETENTION', async () => {
    h = await createHarness({ label: 'job-retention' });
    const completed = `${h.prefix}:calls:completed`;
    // A send job completed 25 hours ago, as a worker left it: older than JOB_RETENTION keeps.
    const oldJob = `${h.prefix}:calls:s.old.0.a1`;
    const finishedOn = Date.now() - 25 * HOUR;
    await h.redis.hset(oldJob, 'name', 'send', 'data', '{}', 'opts', '{}', 'timestamp', finishedOn - 1000, 'finishedOn', finishedOn, 'returnvalue', '{}');
    await h.redis.zadd(completed, finishedOn, 's.old.0.a1');
    expect(JOB_RETENTION.removeOnComplete.age * 1000).toBeLessThan(25 * HOUR);

    await h.startWorker();
    const harness = h;
    const res = await h.producer.send({ phones: ['13860000701'], signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '123456' }, kind: 'verification' });
    const sendJob = `s.${res.sendId}.0.a1`;
    const receiptJob = `q.${res.sendId}.0.l1.c0.d0.p1`;
    // The send job completed, and the first receipt look-up it scheduled waiting.
    await waitFor(
      async () => ((await harness.redis.zscore(completed, sendJob)) !== null && (await harness.redis.zscore(`${harness.prefix}:calls:delayed`, receiptJob)) !== null ? true : undefined),
      'the send job completed and its receipt look-up delayed',
    );
    for (const id of [sendJob, receiptJob]) {
      const opts = JSON.parse((await h.redis.hget(`${h.prefix}:calls:${id}`, 'opts')) ?? 'null') as Record<string, unknown> | null;
      expect(opts, id).not.toBeNull();
      expect(opts, id).not.toHaveProperty('removeOnComplete');
      expect(opts, id).not.toHaveProperty('removeOnFail');
    }
    // BullMQ applied the worker's retention when it finished the send job: the old one is gone.
    expect(await h.redis.zscore(completed, 's.old.0.a1')).toBeNull();
    expect(await h.redis.exists(oldJob)).toBe(0);
  });

  it('keeps failed jobs by count as well as by age: a flood of failures within the week is capped like completed jobs', async () => {
    h = await createHarness({ label: 'failed-retention' });
    const harness = h;
    const failed = `${h.prefix}:calls:failed`;
    // As a week of failures at 100,000 a day would leave them: every one younger than the age bound.
    const cap = JOB_RETENTION.removeOnFail.count;
    const now = Date.now();
    for (let start = 0; start < cap + 5; start += 5000) {
      const p = h.redis.pipeline();
      for (let i = start; i < Math.min(cap + 5, start + 5000); i++) {
        const id = `s.flood${i}.0.a1`;
        p.hset(`${h.prefix}:calls:${id}`, 'name', 'send', 'data', '{}', 'opts', '{}', 'timestamp', now - HOUR, 'finishedOn', now - HOUR + i, 'failedReason', 'flood');
        p.zadd(failed, now - HOUR + i, id);
      }
      await p.exec();
    }
    expect(await h.redis.zcard(failed)).toBe(cap + 5);

    await h.startWorker();
    // A send job whose chunk does not exist fails at once (UnrecoverableError): BullMQ then applies the worker's removeOnFail.
    const calls = createCallsQueue({ connection: h.redis, prefix: h.prefix });
    try {
      await calls.add('send', { sendId: 'smxnone', chunkId: 'smxnone.0' }, { jobId: 's.smxnone.0.a1' });
      await waitFor(async () => (await harness.redis.zscore(failed, 's.smxnone.0.a1')) !== null, 'the job to fail');
    } finally {
      await calls.close();
    }
    expect(await h.redis.zcard(failed)).toBe(cap);
    // The oldest went, job hashes with them; the newest failure stays.
    expect(await h.redis.exists(`${h.prefix}:calls:s.flood0.0.a1`)).toBe(0);
    expect(await h.redis.exists(`${h.prefix}:calls:s.flood${cap + 4}.0.a1`)).toBe(1);
  }, 60_000);
});
