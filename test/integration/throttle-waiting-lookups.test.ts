/**
 * A throttle answer pauses every worker (workers/account-pauses.ts). BullMQ's pause holds job
 * starts only, and send claims already waiting for their pacer slots were kept from calling into
 * it (throttle-waiting-claims.test.ts); look-ups (receipt and reconcile queries, lane `bulk`)
 * waiting for theirs still called: with 20 look-ups due at once, two workers at SMS_QPS=20 and the
 * first QuerySendDetails throttled, the others went out during the 1 s pause. Now a look-up that
 * reaches its slot while the account is paused makes no call: it goes back for after the pause,
 * neither a try nor a start spent, and looks up as it would have.
 *
 * Phase 1 (one worker at the default cap) leaves the look-ups due at once; phase 2 (two workers,
 * as two processes would be, at SMS_QPS=20) makes them.
 *
 * A reconcile look-up asks two SendDates for an attempt made within 10 minutes of midnight in China,
 * and the day before first after it: run at 16:00-16:10 UTC, its 20 look-ups made 40 calls, none in
 * the pause, where the test counted one each. Its calls are counted against the dates it asks.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createCallsQueue } from '../../src/queue/calls-queue.js';
import { JOB } from '../../src/queue/job-schemas.js';
import { createKeys } from '../../src/queue/keys.js';
import { isOutIdOf } from '../../src/queue/out-id.js';
import { cstDate, reconcileSendDates } from '../../src/sms/dates.js';
import { FAST_TIMING, harnessPerTest, type Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';
import { everyKind } from '../support/receipt-policies.js';
import { justAfterMidnightInChina } from '../support/china-clock.js';
import type { Clock } from '../../src/clock.js';

const harness = harnessPerTest();

const SENDS = 20;
/** The emulator's throttle answers carry `x-acs-retry-after: 1000`. */
const PAUSE_MS = 1000;
/**
 * From when the throttled worker had noted and published the pause (its throttle log entry, written
 * after both) until the other worker has heard it and a call already past its check has reached
 * the emulator. A slot falls every ~52 ms at SMS_QPS=20. Counted from the log rather than from the
 * throttled request: on a loaded machine the answer's own trip back took longer than this.
 */
const NOTICE_MS = 40;
/** Look-ups fall due this long after their send: phase 1 ends well before. */
const DUE_AFTER_MS = 2500;

const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' }, kind: 'notification' as const };
const ALL = everyKind('all');
const NONE = everyKind('none');
const receipts = { receiptPolicies: ALL, receiptSchedule: { lookDelaysMs: [DUE_AFTER_MS], windowMs: 60_000 } };

async function sendEach(h: Harness): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < SENDS; i++) ids.push((await h.producer.send({ ...NOTE, phones: [String(13800000200 + i)] })).sendId);
  return ids;
}

/** Look-up jobs of `name` as the queue holds them. */
async function jobsOf(h: Harness, name: string, states: ('delayed' | 'completed')[]) {
  const calls = createCallsQueue({ connection: h.redis, prefix: h.prefix });
  try {
    return (await calls.getJobs(states)).filter((j) => j?.name === name);
  } finally {
    await calls.close();
  }
}

/** Phase 2: the emulator throttles the first QuerySendDetails; two workers at a low cap make the look-ups. */
async function lookUpThrottledOnce(h: Harness, extra: object): Promise<void> {
  h.emulator.setFaults([{ kind: 'throttle', actions: ['QuerySendDetails'], times: 1 }]);
  // 64 slots each: every due look-up starts at once and waits for its slot (one every ~52 ms).
  await h.startWorker({ qps: 20, concurrency: 64, ...extra });
  await h.startWorker({ qps: 20, concurrency: 64, ...extra });
}

/** QuerySendDetails calls made (answered OK) while the account was paused, once every worker could know it. */
async function queriesInPause(h: Harness) {
  const queries = h.emulator.calls().filter((c) => c.action === 'QuerySendDetails');
  const throttled = queries.filter((c) => c.code === 'Throttling.User').map((c) => c.at);
  const answered = queries.filter((c) => c.code === 'OK').map((c) => c.at);
  expect(throttled).toHaveLength(1);
  const [answeredAt] = throttled as [number];
  // The throttle log scores its entry with the end of the pause on the worker's (system) clock.
  const logged = await h.redis.zrange(createKeys(h.prefix).throttles(), 0, -1, 'WITHSCORES');
  expect(logged).toHaveLength(2);
  const knownAt = Number(logged[1]) - PAUSE_MS;
  const during = answered.filter((at) => at >= knownAt + NOTICE_MS && at < answeredAt + PAUSE_MS);
  console.log(
    `QuerySendDetails during the pause: ${during.length} of ${answered.length} (${during.map((at) => at - answeredAt).join(', ')} ms after the throttle; ` +
      `pause published ${knownAt - answeredAt} ms after it)`,
  );
  return { during, answered };
}

type LookUpJob = { chunkId: string; look: number; page: number; dateIndex: number };
const byChunkAndDate = (a: LookUpJob, b: LookUpJob) => a.chunkId.localeCompare(b.chunkId) || a.dateIndex - b.dateIndex;

/**
 * The reconcile jobs that find each chunk's attempt on its first look: one per SendDate the look-up
 * asks (reconcileSendDates, from the attempt's start), in that order, up to the day the emulator
 * filed the send under.
 */
function datesAskedToFind(h: Harness, looked: { data: { chunkId: string; dateIndex: number; sentAt?: number } }[]): LookUpJob[] {
  const out: LookUpJob[] = [];
  for (const sent of h.emulator.accepted()) {
    const first = looked.find((j) => j.data.dateIndex === 0 && isOutIdOf(sent.outId, j.data.chunkId))?.data;
    if (first?.sentAt === undefined) throw new Error(`no first look-up of ${sent.outId} naming its attempt's start`);
    const { chunkId, sentAt } = first;
    const asked = reconcileSendDates(sentAt).indexOf(cstDate(sent.acceptedAt));
    expect(asked, `the day ${sent.outId} is filed under is one its look-up asks`).toBeGreaterThanOrEqual(0);
    for (let dateIndex = 0; dateIndex <= asked; dateIndex++) out.push({ chunkId, look: 1, page: 1, dateIndex });
  }
  return out.sort(byChunkAndDate);
}

/**
 * Only the throttled job's start counts beyond each job's one (maxStartedAttempts), and each job
 * spent one try, the one it completed by (BullMQ counts a completion in attemptsMade): a put-back
 * spends neither.
 */
function expectStartsAndTries(jobs: { attemptsStarted: number; attemptsMade: number }[], n: number) {
  expect(jobs).toHaveLength(n);
  expect(jobs.reduce((s, j) => s + j.attemptsStarted, 0)).toBe(n + 1);
  expect(jobs.map((j) => j.attemptsMade)).toEqual(jobs.map(() => 1));
}

/**
 * Phase 1 leaves 20 attempts in doubt (each SendSms accepted, its answer lost) with their reconcile
 * look-ups due at once; phase 2 makes them, the first throttled. On `clock` (default the system's).
 */
async function reconcileThrottledOnce(label: string, clock?: Clock): Promise<void> {
  const h = await harness.create({ label, ...(clock ? { clock } : {}), emulator: { ...(clock ? { clock } : {}), delivery: { delayMs: 0, failureRatio: 0 } } });
  // Accepted, the answers lost (the read timeout is 1 s): each attempt's outcome is unknown.
  h.emulator.setFaults([{ kind: 'lost-answer', actions: ['SendSms'], delayMs: 1500, times: SENDS }]);
  const ids = await sendEach(h);
  const worker = { receiptPolicies: NONE, reconcile: { ...FAST_TIMING.reconcile, firstLookAfterMs: DUE_AFTER_MS }, ...(clock ? { clock } : {}) };
  const first = await h.startWorker({ concurrency: 64, ...worker });
  await waitFor(async () => ((await jobsOf(h, JOB.reconcile, ['delayed'])).length === SENDS ? true : undefined), `${SENDS} reconcile look-ups scheduled`);
  await first.close();

  await lookUpThrottledOnce(h, worker);
  await waitFor(async () => {
    for (const id of ids) if ((await h.producer.getStatus(id)).counts.accepted !== 1) return undefined;
    return true;
  }, `the ${SENDS} attempts found accepted`, 30_000);
  // Found, never resent: one accepted send per recipient.
  expect(h.emulator.accepted()).toHaveLength(SENDS);
  const looked = await waitFor(async () => {
    const done = await jobsOf(h, JOB.reconcile, ['completed']);
    return done.filter((j) => (j.returnvalue as { outcome?: string } | undefined)?.outcome === 'found').length === SENDS ? done : undefined;
  }, `the ${SENDS} reconcile look-ups found their attempt`);
  const { during, answered } = await queriesInPause(h);
  expect(during).toEqual([]);
  // Each look-up asked its dates once each, in order, up to the day its send is filed under: one
  // date, or two in the 10 minutes after midnight in China, when it asks the day before first.
  const dates = datesAskedToFind(h, looked);
  expect(looked.map((j) => ({ chunkId: j.data.chunkId, look: j.data.look, page: j.data.page, dateIndex: j.data.dateIndex })).sort(byChunkAndDate)).toEqual(dates);
  // One call per look-up job, none made twice.
  expect(answered).toHaveLength(dates.length);
  expectStartsAndTries(looked, dates.length);
}

describe('look-ups waiting for their pacer slot when the account is paused', () => {
  it('receipt look-ups make no call during the pause, and every receipt is recorded after it', async () => {
    const h = await harness.create({ label: 'throttle-lookups-rc', emulator: { delivery: { delayMs: 0, failureRatio: 0 } } });
    const ids = await sendEach(h);
    const first = await h.startWorker({ concurrency: 64, ...receipts });
    await waitFor(async () => ((await jobsOf(h, JOB.receipt, ['delayed'])).length === SENDS ? true : undefined), `${SENDS} receipt look-ups scheduled`);
    await first.close();

    await lookUpThrottledOnce(h, receipts);
    await waitFor(async () => {
      for (const id of ids) if ((await h.producer.getStatus(id)).counts.delivered !== 1) return undefined;
      return true;
    }, `the ${SENDS} receipts recorded`, 30_000);
    const { during, answered } = await queriesInPause(h);
    expect(during).toEqual([]);
    // One look-up per recipient (its receipt final at the first), none lost.
    expect(answered).toHaveLength(SENDS);
    // Each chunk's look-up of its recipient, and the follow-up that finds no other to look up.
    const looked = await waitFor(async () => {
      const done = await jobsOf(h, JOB.receipt, ['completed']);
      return done.length === 2 * SENDS ? done : undefined;
    }, `the ${2 * SENDS} receipt jobs completed`);
    expectStartsAndTries(looked, 2 * SENDS);
  }, 60_000);

  it('reconcile look-ups make no call during the pause, and every attempt is found after it', async () => {
    await reconcileThrottledOnce('throttle-lookups-rec');
  }, 60_000);

  it('just after midnight in China, reconcile look-ups that ask two dates make no call during the pause either', async () => {
    // Sent at 00:00:05 CST, each look-up asks the day before (which finds nothing) and then the day
    // of the send: a run at 16:00-16:10 UTC, as a CI run of the suite was.
    const clock = justAfterMidnightInChina(5_000);
    await reconcileThrottledOnce('throttle-lookups-rec-mid', clock);
  }, 60_000);
});
