/**
 * A receipt look-up (QuerySendDetails of an accepted chunk's recipients) whose job BullMQ fails for
 * good at its start limit (`maxStartedAttempts`): sustained throttling spends a start per pause.
 * Before, nothing followed it: the chunk had no receipt job at all, its recipients stayed
 * `accepted` though Dysmsapi held their receipts, and when the window ended they were expired
 * instead of delivered. Now the look-up is made anew where it stood, delayed by a back-off taken on
 * the worker's clock, unless the receipt window ends first. Real worker, real Redis, the emulator
 * (throttling every look-up) through the real SDK; the limit is lowered so that it is reached in
 * seconds, and the worker's clock only moves when the test moves it.
 */
import { describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { createManualClock } from '../../src/clock.js';
import { chunkIdOf } from '../../src/queue/chunk-store.js';
import { jobIds } from '../../src/queue/job-schemas.js';
import { CALLS_QUEUE } from '../../src/queue/keys.js';
import { lookupRestartDelayMs } from '../../src/queue/lookup-restart.js';
import { harnessPerTest, type Harness } from '../support/pipeline.js';
import { collector } from '../support/text-collector.js';
import { waitFor } from '../support/wait.js';

const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' }, kind: 'notification' as const };
const harnesses = harnessPerTest();

type LogLine = { level: number; msg: string; sendId?: string; chunkId?: string; look?: number; cursor?: number; restarts?: number; delayMs?: number };

/**
 * A worker whose every receipt look-up is throttled, BullMQ's start limit at 3, its clock stopped:
 * the send is accepted, and its first receipt look-up (100 ms after acceptance) is failed by BullMQ
 * at its fourth start. Returns what the test needs to go on.
 */
async function firstLookFailedAtStartLimit(h: Harness, phones: string[], windowMs: number) {
  const calls = new Queue(CALLS_QUEUE, { connection: h.redis, prefix: h.prefix });
  harnesses.defer(() => calls.close());
  h.emulator.setFaults([{ kind: 'throttle', actions: ['QuerySendDetails'], times: Infinity }]);
  const sink = collector();
  const clock = createManualClock(Date.now());
  await h.startWorker({ logger: createLogger({ level: 'info' }, sink), clock, maxStartedAttempts: 3, repair: null, receiptSchedule: { lookDelaysMs: [100], windowMs } });
  const lines = () => sink.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine);

  const { sendId } = await h.producer.send({ ...NOTE, phones });
  const chunkId = chunkIdOf(sendId, '0');
  const first = jobIds.receipt({ chunkId, look: 1, cursor: 0, dateIndex: 0, page: 1 });
  // Each throttled start pauses every worker for 1 s: the fourth start is refused by BullMQ.
  await waitFor(async () => (await h.redis.zscore(`${h.prefix}:${CALLS_QUEUE}:failed`, first)) !== null, 'the receipt look-up job to fail at its start limit', 15_000);
  expect((await calls.getJob(first))?.failedReason).toBe('job started more than allowable limit');
  expect(h.emulator.calls().filter((c) => c.action === 'QuerySendDetails' && c.code === 'Throttling.User')).toHaveLength(3);
  return { calls, clock, lines, sendId, chunkId };
}

/** The chunk's receipt jobs that are still to run (waiting, delayed, prioritised or active). */
async function pendingReceiptJobs(calls: Queue, chunkId: string) {
  const jobs = await calls.getJobs(['wait', 'delayed', 'prioritized', 'active']);
  return jobs.filter((j) => j?.name === 'receipt' && j.id?.startsWith(`q.${chunkId}.`));
}

describe('a receipt look-up job failed at its start limit', () => {
  it('is made anew where it stood, after a back-off on the worker\'s clock: the receipts Dysmsapi holds are applied, not expired', async () => {
    const h = await harnesses.create({ label: 'receipt-starts' });
    const phones = ['13800138070', '13800138071'];
    const { calls, lines, sendId, chunkId } = await firstLookFailedAtStartLimit(h, phones, 120_000);

    // The throttling ends: Dysmsapi has both receipts (delivered), for a look-up to find.
    h.emulator.clearFaults();
    await waitFor(() => h.emulator.recipients().filter((r) => phones.includes(r.phone) && r.sendStatus === 3).length === 2, 'Dysmsapi to hold both receipts', 5_000);

    // The same look, recipient, date and page, made anew: delayed by the first back-off (the worker's clock did not move).
    const again = jobIds.receipt({ chunkId, look: 1, cursor: 0, dateIndex: 0, page: 1, restarts: 1 });
    const pending = await waitFor(async () => {
      const ids = (await pendingReceiptJobs(calls, chunkId)).map((j) => j.id);
      return ids.length > 0 ? ids : undefined;
    }, 'a receipt look-up of the chunk after the failed one', 5_000);
    expect(pending).toEqual([again]);
    const job = await calls.getJob(again);
    expect(job?.data).toMatchObject({ sendId, chunkId, look: 1, cursor: 0, dateIndex: 0, page: 1, waiting: 0, restarts: 1 });
    expect(job?.opts.delay).toBe(lookupRestartDelayMs(1));
    const warned = lines().filter((l) => l.level === 40 && /start limit/.test(l.msg));
    expect(warned).toEqual([expect.objectContaining({ sendId, chunkId, look: 1, cursor: 0, restarts: 1, delayMs: lookupRestartDelayMs(1) })]);

    // Promoted rather than waited for: both recipients get their receipts, one look-up each.
    await job?.promote();
    const status = await waitFor(async () => {
      const s = await h.producer.getStatus(sendId);
      return s.counts.delivered === 2 ? s : undefined;
    }, 'both receipts applied', 10_000);
    expect(status.counts).toMatchObject({ accepted: 0, delivered: 2, expired: 0 });
    expect(h.emulator.calls().filter((c) => c.action === 'QuerySendDetails' && c.code === 'OK')).toHaveLength(2);
  }, 30_000);

  it('is not made anew past the end of the receipt window: those without a receipt expire when it ends, as any', async () => {
    const h = await harnesses.create({ label: 'receipt-starts-window' });
    // The window ends 4 s after acceptance on the worker's clock: the first back-off (5 s) would pass it.
    const windowMs = 4_000;
    const phones = ['13800138072'];
    const { calls, clock, lines, sendId, chunkId } = await firstLookFailedAtStartLimit(h, phones, windowMs);
    const warned = await waitFor(() => lines().find((l) => l.level === 40 && /start limit/.test(l.msg)), 'the start-limit failure to be said', 5_000);
    expect(warned).toMatchObject({ sendId, chunkId, look: 1, cursor: 0, restarts: 1 });
    expect(warned.msg).toMatch(/receipt window ends .* before/);
    expect(await pendingReceiptJobs(calls, chunkId)).toEqual([]);

    // The window ends (the worker's clock moves past it): the recipient expires, with no further look-up.
    h.emulator.clearFaults();
    clock.advance(windowMs + 1);
    const status = await waitFor(async () => {
      const s = await h.producer.getStatus(sendId);
      return s.counts.expired === 1 ? s : undefined;
    }, 'the window to expire the recipient', 10_000);
    expect(status.counts).toMatchObject({ accepted: 0, expired: 1 });
    expect(h.emulator.calls().filter((c) => c.action === 'QuerySendDetails')).toHaveLength(3);
  }, 30_000);
});
