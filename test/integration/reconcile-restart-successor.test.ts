/**
 * A reconcile look-up job (QuerySendDetails of an attempt in doubt) that BullMQ fails at its start
 * limit after it had added its follow-up: in the field, it ran to its end at its last allowed start
 * (next page, other date or next look added, the last thing it does), stalled before BullMQ marked
 * it complete (its worker SIGKILLed), went back to wait and was failed at its next start without
 * running. Before, the failed handler made the look-up anew beside the follow-up: two look-ups of
 * one attempt in flight, and the next look's id held by the one made anew, which waits the
 * restart's back-off (5 s doubling to 5 min) where the chain would have looked in 5 s. Now nothing
 * is made anew while a job the failed one could have added exists.
 *
 * Real worker, real Redis, the emulator (the send's answer lost, every look-up throttled until the
 * test says otherwise) through the real SDK; the start limit is lowered so that it is reached in
 * seconds. The follow-up is added by the test, as the processor adds a next page (same data, page
 * 2, through the worker's own FollowUps), while the job is still to fail.
 */
import { describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { createManualClock } from '../../src/clock.js';
import { chunkIdOf } from '../../src/queue/chunk-store.js';
import { createFollowUps } from '../../src/queue/follow-ups.js';
import { jobIds, ReconcileJobData } from '../../src/queue/job-schemas.js';
import { CALLS_QUEUE, createKeys, HOUSEKEEPING_QUEUE } from '../../src/queue/keys.js';
import { DEFAULT_RECEIPT_POLICIES, DEFAULT_RECEIPT_SCHEDULE } from '../../src/queue/receipt-policy.js';
import { harnessPerTest } from '../support/pipeline.js';
import { collector } from '../support/text-collector.js';
import { waitFor } from '../support/wait.js';

const CODE = { signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '4821' }, kind: 'verification' as const };
const harnesses = harnessPerTest();

type LogLine = { level: number; msg: string; chunkId?: string; successor?: string };

describe('a reconcile look-up job failed at its start limit after it added its follow-up', () => {
  it('is not made anew: the follow-up carries the look-ups of the attempt on, alone', async () => {
    const h = await harnesses.create({ label: 'reconcile-successor', readTimeoutMs: 300 });
    const keys = createKeys(h.prefix);
    const calls = new Queue(CALLS_QUEUE, { connection: h.redis, prefix: h.prefix });
    const housekeeping = new Queue(HOUSEKEEPING_QUEUE, { connection: h.redis, prefix: h.prefix });
    harnesses.defer(async () => {
      await calls.close();
      await housekeeping.close();
    });
    h.emulator.setFaults([
      { kind: 'lost-answer', delayMs: 2000, times: 1 },
      { kind: 'throttle', actions: ['QuerySendDetails'], times: Infinity },
    ]);
    const sink = collector();
    const clock = createManualClock(Date.now());
    await h.startWorker({ logger: createLogger({ level: 'info' }, sink), clock, maxStartedAttempts: 3, repair: null });
    const lines = () => sink.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine);
    const followUps = createFollowUps({ calls, housekeeping, clock, receiptPolicies: DEFAULT_RECEIPT_POLICIES, receiptSchedule: DEFAULT_RECEIPT_SCHEDULE });

    const phone = '13800138065';
    const { sendId } = await h.producer.send({ ...CODE, phones: [phone] });
    const chunkId = chunkIdOf(sendId, '0');
    const first = jobIds.reconcilePage({ chunkId, attempt: 1, look: 1, dateIndex: 0, page: 1 });
    const job = await waitFor(() => calls.getJob(first), 'the first look-up job', 10_000);
    // Its follow-up, as the processor adds the next page (kept waiting while the look-ups are throttled).
    const data = ReconcileJobData.parse(job.data);
    await followUps.reconcile({ ...data, page: 2 }, 'verification', clock.now() + 600_000);
    const successor = jobIds.reconcilePage({ ...data, page: 2 });

    // Each throttled start pauses every worker for 1 s: the fourth start is refused by BullMQ. (With
    // a job delayed far ahead, BullMQ's worker waits out its block timeout, 10 s, after each pause.)
    await waitFor(async () => (await h.redis.zscore(`${h.prefix}:${CALLS_QUEUE}:failed`, first)) !== null, 'the look-up job to fail at its start limit', 45_000);
    expect((await calls.getJob(first))?.failedReason).toBe('job started more than allowable limit');
    const said = await waitFor(() => lines().find((l) => l.level === 40 && /start limit/.test(l.msg)), 'the start-limit failure to be said', 5_000);

    // One look-up of the attempt pending: the follow-up. Before, the next look made anew waited beside it.
    const pending = (await calls.getJobs(['wait', 'delayed', 'prioritized', 'active'])).filter((j) => j?.name === 'reconcile' && j.id?.startsWith(`r.${chunkId}.`));
    expect(pending.map((j) => j.id)).toEqual([successor]);
    expect(said).toMatchObject({ chunkId, successor });
    expect(said.msg).toMatch(/not made anew, the attempt.s look-ups go on from there/);

    // The throttling ends; the follow-up (promoted rather than waited for) goes on to find the attempt: accepted, never resent.
    h.emulator.clearFaults();
    await pending[0]?.promote();
    await waitFor(async () => (await h.redis.hget(keys.chunk(chunkId), 'state')) === 'accepted', 'the look-ups to find the attempt', 15_000);
    expect(h.emulator.accepted().filter((a) => a.phoneNumbers.includes(phone))).toHaveLength(1);
  }, 75_000);
});
