/**
 * A look-up job whose data does not parse (an attempt no OutId of ours names: a record adopted
 * `1e+20` before the OutId's attempt was bounded) failed without a call and without a word: its
 * chunk's attempt stayed in doubt with nothing saying so.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { createCallsQueue } from '../../src/queue/calls-queue.js';
import { JOB } from '../../src/queue/job-schemas.js';
import { harnessPerTest } from '../support/pipeline.js';
import { collector } from '../support/text-collector.js';
import { waitFor } from '../support/wait.js';

const harnesses = harnessPerTest();

describe('a look-up job with invalid data', () => {
  it('is said in an error line naming the job and the field, not dropped without a word', async () => {
    const h = await harnesses.create({ label: 'invalid-lookup-job' });
    const { sendId } = await h.producer.send({ signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' }, phones: ['13864000001'] });
    const calls = createCallsQueue({ connection: h.redis, prefix: h.prefix });
    harnesses.defer(() => calls.close());
    const jobId = 'r.invalid-attempt';
    await calls.add(JOB.reconcile, { sendId, chunkId: `${sendId}.0`, attempt: 1e20, look: 1, dateIndex: 0, page: 1 }, { jobId });
    const logs = collector();
    await h.startWorker({ logger: createLogger({ level: 'info' }, logs) });
    await waitFor(async () => logs.text.includes(`"jobId":"${jobId}"`) && logs.text.includes('with invalid data (attempt)'), 'the error line', 15_000).catch(() => undefined);
    const line = logs.text.split('\n').find((l) => l.includes('with invalid data (attempt)'));
    expect(line, logs.text.split('\n').filter((l) => l.includes(jobId)).join('\n')).toBeDefined();
    expect(JSON.parse(line as string)).toMatchObject({ level: 50, jobId, fields: ['attempt'], chunkId: `${sendId}.0` });
  }, 30_000);
});
