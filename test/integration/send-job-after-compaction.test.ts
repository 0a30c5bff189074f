/**
 * A send job that runs again after its send was compacted (its worker stopped past the job's lock,
 * BullMQ took the job for stalled and ran it again once a pushed report had ended the send): the
 * compacted send deleted its chunks by design, and the job failed "chunk ... does not exist
 * (expired or never written)", a failure in Bull Board and in the failed count for a send that went
 * out once and is final. A job whose chunk is gone while its send is not final still fails so.
 *
 * Real Redis, the emulator through the real SDK, a real worker; the job run again is added under the
 * next id of the chunk (BullMQ runs a stalled job again under its own id, which this cannot re-add).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createCallsQueue } from '../../src/queue/calls-queue.js';
import { JOB, jobIds } from '../../src/queue/job-schemas.js';
import { createKeys } from '../../src/queue/keys.js';
import { COMPACT_FIELD } from '../../src/queue/send-store.js';
import { ingestFor } from '../support/ingest.js';
import { harnessPerTest } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } };
const NO_RECEIPTS = { verification: { mode: 'none', sampleRate: 0 }, notification: { mode: 'none', sampleRate: 0 }, marketing: { mode: 'none', sampleRate: 0 } } as const;
const harnesses = harnessPerTest();

describe('a send job that runs after its chunk is gone', () => {
  it('completes with nothing to do when its send was compacted (final), and still fails when its send is not final', async () => {
    const h = await harnesses.create({ label: 'send-job-compacted' });
    const { ingest, close } = ingestFor(h);
    harnesses.defer(close);
    const keys = createKeys(h.prefix);
    const calls = createCallsQueue({ connection: h.redis, prefix: h.prefix });
    harnesses.defer(() => calls.close());

    // Not final: a send whose chunk record is gone (deleted by hand, evicted) and its job left.
    const lost = await h.producer.send({ ...NOTE, phones: ['13866294002'] });
    const lostChunk = `${lost.sendId}.0`;
    await calls.remove(jobIds.send(lostChunk, 1));
    await h.redis.del(keys.chunk(lostChunk));

    await h.startWorker({ receiptPolicies: NO_RECEIPTS, compactFinished: true });
    const phone = '13866294001';
    const { sendId } = await h.producer.send({ ...NOTE, phones: [phone] });
    const chunkId = `${sendId}.0`;
    const sent = await waitFor(() => h.emulator.accepted().find((a) => a.phoneNumbers.includes(phone)), 'the chunk sent');
    await waitFor(async () => (await h.redis.hget(keys.chunk(chunkId), 'state')) === 'accepted', 'the chunk accepted');
    expect(await ingest.applyReports([{ phone_number: phone, success: true, err_code: 'DELIVERED', biz_id: sent.bizId, out_id: sent.outId }])).toMatchObject({ applied: 1 });
    expect(await h.redis.hexists(keys.send(sendId), COMPACT_FIELD)).toBe(1);

    const again = await calls.add(JOB.send, { sendId, chunkId }, { jobId: jobIds.send(chunkId, 2) });
    const orphan = await calls.add(JOB.send, { sendId: lost.sendId, chunkId: lostChunk }, { jobId: jobIds.send(lostChunk, 2) });
    const finished = async (id: string) => waitFor(async () => ((await calls.getJob(id))?.finishedOn ? await calls.getJob(id) : undefined), `job ${id} to finish`);

    const quiet = await finished(again.id as string);
    expect(quiet.failedReason).toBeUndefined();
    expect(await calls.getJobState(again.id as string)).toBe('completed');
    expect(quiet.returnvalue).toEqual({ outcome: 'skipped', state: 'accepted' });
    // A chunk gone under a send that is not final is still a failure, as before.
    const failed = await finished(orphan.id as string);
    expect(failed.failedReason).toMatch(new RegExp(`chunk ${lostChunk} does not exist`));
    expect(h.emulator.accepted().filter((a) => a.phoneNumbers.includes(phone))).toHaveLength(1);
  });
});
