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
 *
 * A look-up made twice is counted against the job's stalls and read timeouts: on a loaded machine
 * (3 busy loops on 2 cores), 1 run in ~37 made 21 receipt look-ups for 20 recipients, none in the
 * pause, where the test counted one each. A process held ~1 s does that two ways, both by design (a
 * look-up is read-only, safe to repeat: workers/lookups.ts). Its jobs' 1 s locks
 * (FAST_TIMING.lockDurationMs) lapse unrenewed, a stalled-job check hands them back and they run
 * again, while each run that lost its lock still makes its call (held 1.1 s while the look-ups
 * waited for their slots: 13 of 20 made twice, each by a job taken back as stalled, none
 * otherwise); or a call in flight gets its answer after the 1 s read timeout and the job retries.
 * ("could not renew lock" in a worker's log is no sign of either: a look-up's own put-back races
 * the lock extender, and a run with that line had the job started once.)
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
import type { CallRecord, FaultRule } from '../../src/emulator/index.js';
import type { SmsWorker } from '../../workers/sms-worker.js';

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
async function lookUpThrottledOnce(h: Harness, extra: object, faults: FaultRule[] = []): Promise<SmsWorker[]> {
  h.emulator.setFaults([{ kind: 'throttle', actions: ['QuerySendDetails'], times: 1 }, ...faults]);
  // 64 slots each: every due look-up starts at once and waits for its slot (one every ~52 ms).
  return [await h.startWorker({ qps: 20, concurrency: 64, ...extra }), await h.startWorker({ qps: 20, concurrency: 64, ...extra })];
}

/**
 * Closes phase 2's workers: a run that lost its job's lock (see the top of the file) may still be
 * waiting for its slot after the job completed; closed, no call is left to come.
 */
async function closeAll(workers: SmsWorker[]): Promise<void> {
  await Promise.all(workers.map((w) => w.close()));
}

/** QuerySendDetails calls made (answered OK) while the account was paused, once every worker could know it. */
async function queriesInPause(h: Harness) {
  const queries = h.emulator.calls().filter((c) => c.action === 'QuerySendDetails');
  const throttled = queries.filter((c) => c.code === 'Throttling.User').map((c) => c.at);
  const answered = queries.filter((c) => c.code === 'OK');
  expect(throttled).toHaveLength(1);
  const [answeredAt] = throttled as [number];
  // The throttle log scores its entry with the end of the pause on the worker's (system) clock.
  const logged = await h.redis.zrange(createKeys(h.prefix).throttles(), 0, -1, 'WITHSCORES');
  expect(logged).toHaveLength(2);
  const knownAt = Number(logged[1]) - PAUSE_MS;
  const during = answered.map((c) => c.at).filter((at) => at >= knownAt + NOTICE_MS && at < answeredAt + PAUSE_MS);
  console.log(
    `QuerySendDetails during the pause: ${during.length} of ${answered.length} (${during.map((at) => at - answeredAt).join(', ')} ms after the throttle; ` +
      `pause published ${knownAt - answeredAt} ms after it)`,
  );
  return { during, answered };
}

type LookedUpJob = { data: { chunkId: string }; stalledCounter: number; stacktrace: string[] | null };

/** How many times BullMQ took `jobs` back as stalled (each a start of its own). */
const stallsOf = (jobs: { stalledCounter: number }[]) => jobs.reduce((s, j) => s + j.stalledCounter, 0);

/** The tries of `jobs` that failed for want of an answer within the read timeout, each retried (a try and a start of its own). */
const timeoutsOf = (jobs: { stacktrace: string[] | null }[]) => jobs.reduce((s, j) => s + (j.stacktrace ?? []).filter((t) => t.includes('RequestTimeout')).length, 0);

/**
 * QuerySendDetails answered per recipient: `own(chunkId)`, one for each look-up job of its chunk
 * that calls, and at most one more for each time BullMQ took one of those jobs back as stalled (the
 * run that lost the lock and the run after may both call: see the top of the file) or retried one
 * whose answer did not come within the read timeout (answered, but too late). Without either,
 * exactly `own`: a look-up made twice otherwise, or not made, still fails here.
 */
function expectLookUpsPerRecipient(h: Harness, answered: CallRecord[], jobs: LookedUpJob[], own: (chunkId: string) => number) {
  const sent = h.emulator.accepted();
  expect(sent).toHaveLength(SENDS);
  for (const { outId, phoneNumbers } of sent) {
    const mine = jobs.filter((j) => isOutIdOf(outId, j.data.chunkId));
    const [chunkId] = new Set(mine.map((j) => j.data.chunkId));
    if (chunkId === undefined) throw new Error(`no look-up job of ${outId}`);
    const made = answered.filter((c) => c.phones.some((p) => phoneNumbers.includes(p))).length;
    const range = { made, own: own(chunkId), stalls: stallsOf(mine), timeouts: timeoutsOf(mine) };
    expect(made >= range.own && made <= range.own + range.stalls + range.timeouts, `look-ups of ${outId}: ${JSON.stringify(range)}`).toBe(true);
  }
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
 * Only the throttled job's start counts beyond each job's one (maxStartedAttempts), and the starts
 * of jobs taken back as stalled or retried after a read timeout, and each job spent one try, the one
 * it completed by (BullMQ counts a completion in attemptsMade), and one for each read timeout: a
 * put-back spends neither.
 */
function expectStartsAndTries(jobs: { attemptsStarted: number; attemptsMade: number; stalledCounter: number; stacktrace: string[] | null }[], n: number) {
  expect(jobs).toHaveLength(n);
  expect(jobs.reduce((s, j) => s + j.attemptsStarted, 0)).toBe(n + 1 + stallsOf(jobs) + timeoutsOf(jobs));
  expect(jobs.map((j) => j.attemptsMade)).toEqual(jobs.map((j) => 1 + timeoutsOf([j])));
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

  const lookingUp = await lookUpThrottledOnce(h, worker);
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
  await closeAll(lookingUp);
  const { during, answered } = await queriesInPause(h);
  expect(during).toEqual([]);
  // Each look-up asked its dates once each, in order, up to the day its send is filed under: one
  // date, or two in the 10 minutes after midnight in China, when it asks the day before first.
  const dates = datesAskedToFind(h, looked);
  expect(looked.map((j) => ({ chunkId: j.data.chunkId, look: j.data.look, page: j.data.page, dateIndex: j.data.dateIndex })).sort(byChunkAndDate)).toEqual(dates);
  // One call per look-up job, none made twice but by a job taken back as stalled or retried.
  expectLookUpsPerRecipient(h, answered, looked, (chunkId) => dates.filter((d) => d.chunkId === chunkId).length);
  expectStartsAndTries(looked, dates.length);
}

/**
 * Phase 1 schedules a receipt look-up per recipient, due at once; phase 2 makes them, the first
 * throttled, with `faults` after. `hold`: the event loop is held `heldMs` once `afterAnswered`
 * look-ups are answered, as on a loaded machine (see the top of the file). The completed receipt jobs.
 */
async function receiptsThrottledOnce(label: string, { hold, faults }: { hold?: { heldMs: number; afterAnswered: number }; faults?: FaultRule[] } = {}) {
  const h = await harness.create({ label, emulator: { delivery: { delayMs: 0, failureRatio: 0 } } });
  const ids = await sendEach(h);
  const first = await h.startWorker({ concurrency: 64, ...receipts });
  await waitFor(async () => ((await jobsOf(h, JOB.receipt, ['delayed'])).length === SENDS ? true : undefined), `${SENDS} receipt look-ups scheduled`);
  await first.close();

  const lookingUp = await lookUpThrottledOnce(h, receipts, faults);
  const holding = hold && holdEventLoopOnce(h, hold.heldMs, hold.afterAnswered);
  try {
    await waitFor(async () => {
      for (const id of ids) if ((await h.producer.getStatus(id)).counts.delivered !== 1) return undefined;
      return true;
    }, `the ${SENDS} receipts recorded`, 30_000);
  } finally {
    clearInterval(holding);
  }
  // Each chunk's look-up of its recipient, and the follow-up that finds no other to look up.
  const looked = await waitFor(async () => {
    const done = await jobsOf(h, JOB.receipt, ['completed']);
    return done.length === 2 * SENDS ? done : undefined;
  }, `the ${2 * SENDS} receipt jobs completed`);
  await closeAll(lookingUp);
  const { during, answered } = await queriesInPause(h);
  expect(during).toEqual([]);
  // One look-up per recipient (its receipt final at the first), none lost, none made twice but by
  // a job taken back as stalled or retried; and no send made again.
  expectLookUpsPerRecipient(h, answered, looked, () => 1);
  expect(h.emulator.calls().filter((c) => c.action === 'SendSms')).toHaveLength(SENDS);
  expectStartsAndTries(looked, 2 * SENDS);
  return looked;
}

/** Holds this process's event loop (the workers' and the emulator's) for `ms`, once `answered` QuerySendDetails have been answered OK. */
function holdEventLoopOnce(h: Harness, ms: number, answered: number): NodeJS.Timeout {
  const watch = setInterval(() => {
    if (h.emulator.calls().filter((c) => c.action === 'QuerySendDetails' && c.code === 'OK').length < answered) return;
    clearInterval(watch);
    const until = performance.now() + ms;
    while (performance.now() < until);
  }, 5);
  return watch;
}

describe('look-ups waiting for their pacer slot when the account is paused', () => {
  it('receipt look-ups make no call during the pause, and every receipt is recorded after it', async () => {
    await receiptsThrottledOnce('throttle-lookups-rc');
  }, 60_000);

  it('look-ups taken back as stalled (their worker held past their locks) are made again, none in the pause either', async () => {
    // Held once 5 look-ups are answered, after the pause: the others hold their jobs' locks while
    // they wait for their slots, and lose them (FAST_TIMING.lockDurationMs).
    const looked = await receiptsThrottledOnce('throttle-lookups-rc-held', { hold: { heldMs: FAST_TIMING.lockDurationMs + 500, afterAnswered: 5 } });
    expect(stallsOf(looked)).toBeGreaterThan(0);
  }, 60_000);

  it('a look-up answered after the read timeout is made again, none in the pause either', async () => {
    // The first look-up after the throttled one is answered 1.5 s late (the read timeout is 1 s).
    const late: FaultRule = { kind: 'lost-answer', actions: ['QuerySendDetails'], delayMs: 1500, times: 1 };
    const looked = await receiptsThrottledOnce('throttle-lookups-rc-late', { faults: [late] });
    expect(timeoutsOf(looked)).toBe(1);
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
