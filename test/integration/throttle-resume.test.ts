/**
 * After a throttle answer every worker pauses (workers/account-pauses.ts), and sending resumes
 * when the pause ends, not when a worker blocked waiting for a job happens to time out. Before the
 * fix, with a receipt look-up delayed ahead (every accepted send leaves one), the next call came
 * ~9 s after a 1 s pause: BullMQ's fetch blocked up to its 10 s maximum, and the job put back
 * (prioritised, as every smsq job is) added no marker to wake it. Without a delayed job the block
 * is drainDelay (1 s), so that case went on time; with BullMQ's default drainDelay (5 s) it too
 * came ~4 s late.
 */
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createCallsQueue, createHousekeepingQueue } from '../../src/queue/calls-queue.js';
import { createFollowUps } from '../../src/queue/follow-ups.js';
import { DEFAULT_RECEIPT_POLICIES, DEFAULT_RECEIPT_SCHEDULE } from '../../src/queue/receipt-policy.js';
import { harnessPerTest, type Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const harness = harnessPerTest();

const CODE = { signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '424242' }, kind: 'verification' as const };
/** The emulator's throttle answers carry `x-acs-retry-after: 1000`. */
const PAUSE_MS = 1000;
const BACKLOG = 3;
/** Wide for a loaded machine: the fault it catches was ~9 s. Not a timing benchmark. */
const RESUME_WITHIN_MS = 3000;
/** From a throttle answer (as the emulator read its request) until every worker knows its pause. */
const NOTICE_MS = 40;

/** A receipt look-up delayed `aheadMs`, as an earlier accepted send leaves behind it. */
async function delayedLookUp(h: Harness, aheadMs: number): Promise<void> {
  const calls = createCallsQueue({ connection: h.redis, prefix: h.prefix });
  const housekeeping = createHousekeepingQueue({ connection: h.redis, prefix: h.prefix });
  const followUps = createFollowUps({ calls, housekeeping, clock: systemClock, receiptPolicies: DEFAULT_RECEIPT_POLICIES, receiptSchedule: DEFAULT_RECEIPT_SCHEDULE });
  await followUps.receipt({ sendId: 'smxearlier', chunkId: 'smxearlier.0', look: 1, cursor: 0, dateIndex: 0, page: 1, waiting: 0 }, Date.now() + aheadMs);
  await calls.close();
  await housekeeping.close();
}

/**
 * A backlog of codes whose first BACKLOG calls are throttled (each pausing every worker for
 * PAUSE_MS: usually within a few ms of each other; a code that waited for its slot meets its
 * throttle after the first pause); two workers with slots to spare, so both block waiting for a
 * job. Every later call is an accepted send.
 */
async function throttledBacklog(h: Harness) {
  h.emulator.setFaults([{ kind: 'throttle', actions: ['SendSms'], times: BACKLOG }]);
  for (let i = 0; i < BACKLOG; i++) await h.producer.send({ ...CODE, phones: [String(13800000010 + i)] });
  await h.startWorker();
  await h.startWorker();
  await waitFor(() => h.emulator.accepted().length === BACKLOG, `the ${BACKLOG} codes accepted`);
  const sends = h.emulator.calls().filter((c) => c.action === 'SendSms');
  const throttled = sends.filter((c) => c.code === 'Throttling.User').map((c) => c.at);
  const sent = sends.filter((c) => c.code === 'OK').map((c) => c.at);
  // Each pause is set after its answer, so it ends no sooner than this.
  const pauses = throttled.map((at) => ({ from: at, to: at + PAUSE_MS }));
  // Calls made during a pause, past the moment every worker can know it (pause-notice.ts): the
  // answer's trip back and the notice's. Claims already waiting for their slots make none since
  // then, so a code may meet its throttle only after the first pause (a CI run): each pause counts.
  const inPause = sent.filter((at) => pauses.some((p) => at >= p.from + NOTICE_MS && at < p.to));
  const firstPauseEnd = Math.min(...throttled) + PAUSE_MS;
  return { throttled, sent, inPause, firstPauseEnd };
}

describe('after a throttle pause, sending resumes when it ends', () => {
  it('with a receipt look-up delayed minutes ahead', async () => {
    const h = await harness.create({ label: 'throttle-resume-delayed' });
    await delayedLookUp(h, 5 * 60_000);
    const r = await throttledBacklog(h);
    expect(r.throttled).toHaveLength(BACKLOG);
    expect(r.sent).toHaveLength(BACKLOG);
    // Each pause held both workers for its whole length...
    expect(r.inPause).toEqual([]);
    // ...and no longer.
    expect(Math.min(...r.sent) - r.firstPauseEnd).toBeLessThan(RESUME_WITHIN_MS);
  });

  it('with no delayed job in the queue', async () => {
    const h = await harness.create({ label: 'throttle-resume-none' });
    const r = await throttledBacklog(h);
    expect(r.throttled).toHaveLength(BACKLOG);
    expect(r.sent).toHaveLength(BACKLOG);
    expect(r.inPause).toEqual([]);
    expect(Math.min(...r.sent) - r.firstPauseEnd).toBeLessThan(RESUME_WITHIN_MS);
  });
});
