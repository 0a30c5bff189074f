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
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createCallsQueue } from '../../src/queue/calls-queue.js';
import { JOB } from '../../src/queue/job-schemas.js';
import { createKeys } from '../../src/queue/keys.js';
import { FAST_TIMING, harnessPerTest, type Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';
import { everyKind } from '../support/receipt-policies.js';

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
    const h = await harness.create({ label: 'throttle-lookups-rec', emulator: { delivery: { delayMs: 0, failureRatio: 0 } } });
    // Accepted, the answers lost (the read timeout is 1 s): each attempt's outcome is unknown.
    h.emulator.setFaults([{ kind: 'lost-answer', actions: ['SendSms'], delayMs: 1500, times: SENDS }]);
    const ids = await sendEach(h);
    const reconcile = { ...FAST_TIMING.reconcile, firstLookAfterMs: DUE_AFTER_MS };
    const first = await h.startWorker({ concurrency: 64, receiptPolicies: NONE, reconcile });
    await waitFor(async () => ((await jobsOf(h, JOB.reconcile, ['delayed'])).length === SENDS ? true : undefined), `${SENDS} reconcile look-ups scheduled`);
    await first.close();

    await lookUpThrottledOnce(h, { receiptPolicies: NONE, reconcile });
    await waitFor(async () => {
      for (const id of ids) if ((await h.producer.getStatus(id)).counts.accepted !== 1) return undefined;
      return true;
    }, `the ${SENDS} attempts found accepted`, 30_000);
    const { during, answered } = await queriesInPause(h);
    expect(during).toEqual([]);
    expect(answered).toHaveLength(SENDS);
    // Found, never resent: one accepted send per recipient.
    expect(h.emulator.accepted()).toHaveLength(SENDS);
    const looked = await waitFor(async () => {
      const done = await jobsOf(h, JOB.reconcile, ['completed']);
      return done.length === SENDS ? done : undefined;
    }, `the ${SENDS} reconcile jobs completed`);
    expectStartsAndTries(looked, SENDS);
  }, 60_000);
});
