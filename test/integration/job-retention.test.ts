/**
 * Finished jobs' retention (calls-queue.ts JOB_RETENTION) is the workers', not written into every
 * job: a job's hash carries no removeOnComplete/removeOnFail, and BullMQ applies the worker's.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { JOB_RETENTION } from '../../src/queue/calls-queue.js';
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
});
