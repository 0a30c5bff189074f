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

describe('finished jobs', () => {
  it('carry no retention of their own; the workers keep them as JOB_RETENTION says', async () => {
    h = await createHarness({ label: 'job-retention' });
    const worker = await h.startWorker();
    const harness = h;
    const res = await h.producer.send({ phones: ['13860000701'], signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '123456' }, kind: 'verification' });
    await waitFor(async () => ((await harness.producer.getStatus(res.sendId)).counts.accepted === 1 ? true : undefined), 'the code accepted');

    // The send job, completed and kept for Bull Board; the receipt look-up job, delayed.
    const jobKeys = (await h.redis.keys(`${h.prefix}:calls:*${res.sendId}*`)).filter((k) => /:calls:[sq]\./.test(k)).sort();
    expect(jobKeys).toHaveLength(2);
    for (const key of jobKeys) {
      const opts = JSON.parse((await h.redis.hget(key, 'opts')) ?? 'null') as Record<string, unknown>;
      expect(opts, key).not.toHaveProperty('removeOnComplete');
      expect(opts, key).not.toHaveProperty('removeOnFail');
    }
    expect(await h.redis.zscore(`${h.prefix}:calls:completed`, `s.${res.sendId}.0.a1`)).not.toBeNull();
    for (const w of [worker.worker, worker.housekeepingWorker]) {
      expect(w.opts.removeOnComplete).toEqual(JOB_RETENTION.removeOnComplete);
      expect(w.opts.removeOnFail).toEqual(JOB_RETENTION.removeOnFail);
    }
  });
});
