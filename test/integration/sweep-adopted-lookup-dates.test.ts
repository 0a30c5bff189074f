/**
 * A look-up of an attempt adopted from a pushed report asks every China-time day from the attempt
 * the record held before (`priorSentAt`), so its chain has jobs at dateIndex 2 and beyond. The
 * repair sweep and `status` looked for a chunk's look-up jobs at dateIndex 0 and 1 only: a live
 * look at a later date was not seen, the sweep took the chunk for one without a job and started a
 * second chain beside it, and `status` said `job-missing`.
 *
 * Real Redis; a clock set days back (China time) so that the adoption comes three days after the claim.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createCallsQueue, createHousekeepingQueue } from '../../src/queue/calls-queue.js';
import { createChunkStore } from '../../src/queue/chunk-store.js';
import { createFollowUps } from '../../src/queue/follow-ups.js';
import { jobIds } from '../../src/queue/job-schemas.js';
import { createKeys } from '../../src/queue/keys.js';
import { DEFAULT_RECEIPT_POLICIES, DEFAULT_RECEIPT_SCHEDULE } from '../../src/queue/receipt-policy.js';
import { createSendStore } from '../../src/queue/send-store.js';
import { createCompletion } from '../../src/receipts/completion.js';
import { createOrphanSweep } from '../../src/repair/orphan-sweep.js';
import { controllableClock } from '../support/china-clock.js';
import { ingestFor } from '../support/ingest.js';
import { harnessPerTest } from '../support/pipeline.js';

const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } };
const harnesses = harnessPerTest();

describe('the repair sweep and status read the look-up jobs of an adopted attempt at every date its look-up asks', () => {
  it('a live look at dateIndex 2 (priorSentAt three days back) is seen: no second look-up, no job-missing', async () => {
    const phone = '13866292001';
    const clock = controllableClock('2026-12-01T10:00:00');
    const h = await harnesses.create({ label: 'sweep-adopted-dates', clock, emulator: { clock } });
    const { ingest, close } = ingestFor(h, clock);
    harnesses.defer(close);
    const keys = createKeys(h.prefix);
    const calls = createCallsQueue({ connection: h.redis, prefix: h.prefix });
    const housekeeping = createHousekeepingQueue({ connection: h.redis, prefix: h.prefix });
    harnesses.defer(async () => {
      await calls.close();
      await housekeeping.close();
    });
    const chunks = createChunkStore({ redis: h.redis, keys, clock });
    const sends = createSendStore({ redis: h.redis, keys });
    const followUps = createFollowUps({ calls, housekeeping, clock, receiptPolicies: DEFAULT_RECEIPT_POLICIES, receiptSchedule: DEFAULT_RECEIPT_SCHEDULE });
    const completion = createCompletion({ sends, onEnded: (id) => followUps.callback(id) });

    const { sendId } = await h.producer.send({ ...NOTE, phones: [phone] });
    const chunkId = `${sendId}.0`;
    await calls.remove(jobIds.send(chunkId, 1));
    const claim = await chunks.claim(chunkId, sendId);
    if (claim.type !== 'send') throw new Error(`claim: ${claim.type}`);
    expect(await chunks.transition(chunkId, sendId, { trigger: 'answer-unknown', outId: claim.outId, fields: { code: 'SMSQ_WORKER_LOST' } })).toMatchObject({ applied: true });
    // Three days on, a push names attempt 2: adopted as unknown, its look-up asks from the claim's day on.
    clock.jumpTo('2026-12-04T10:00:00');
    expect(await ingest.applyReports([{ phone_number: phone, success: true, biz_id: 'x^0', out_id: `${chunkId}.2-abc` }])).toMatchObject({ adopted: 1 });
    expect(await chunks.get(chunkId)).toMatchObject({ state: 'unknown', attempt: 2, priorSentAt: claim.claimedAt });
    // Its chain as it stands once the first two dates were asked (their jobs completed, then removed
    // by retention): the look at its third date waits for its turn.
    const first = { sendId, chunkId, attempt: 2, look: 1, page: 1 };
    await calls.remove(jobIds.reconcilePage({ ...first, dateIndex: 0 }));
    await followUps.reconcile({ ...first, dateIndex: 2 }, 'notification', clock.now() + 3_600_000);
    const live = jobIds.reconcilePage({ ...first, dateIndex: 2 });
    expect(await calls.getJobState(live)).toBe('delayed');

    expect((await h.producer.getStatus(sendId)).wait?.reason).not.toBe('job-missing');
    const sweep = createOrphanSweep({ redis: h.redis, keys, calls, chunks, sends, followUps, completion, clock, logger: h.logger, firstLookAfterMs: 50, minAgeMs: 0 });
    const report = await sweep.run();
    expect(report.found.unknownWithoutJob).toBe(0);
    const jobs = (await calls.getJobs(['waiting', 'delayed', 'prioritized', 'active'])).map((j) => j.id).filter((id) => id?.startsWith('r.'));
    expect(jobs).toEqual([live]);
  });
});
