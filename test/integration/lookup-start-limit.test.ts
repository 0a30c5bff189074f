/**
 * A reconcile look-up (QuerySendDetails of an attempt in doubt) whose job BullMQ fails for good at
 * its start limit (`maxStartedAttempts`): sustained throttling spends a start per pause. Before, the
 * chunk stayed `unknown` with no job at all: the failure counted neither as the look-up's attempts
 * spent (no `lookup-gave-up`) nor as anything else, so nothing looked it up until the repair
 * sweep's next pass (every 5 min). Now the look-up is made anew as the next look, delayed by a
 * back-off taken on the worker's clock. Real worker, real Redis, the emulator (throttling every
 * look-up) through the real SDK; the limit is lowered so that it is reached in seconds.
 */
import { describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { createManualClock } from '../../src/clock.js';
import { chunkIdOf } from '../../src/queue/chunk-store.js';
import { jobIds } from '../../src/queue/job-schemas.js';
import { CALLS_QUEUE, createKeys } from '../../src/queue/keys.js';
import { lookupRestartDelayMs } from '../../src/queue/lookup-restart.js';
import { createSmsWorker } from '../../workers/sms-worker.js';
import { harnessPerTest } from '../support/pipeline.js';
import { collector } from '../support/text-collector.js';
import { waitFor } from '../support/wait.js';

const CODE = { signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '4821' }, kind: 'verification' as const };
const harnesses = harnessPerTest();

type LogLine = { level: number; msg: string; sendId?: string; chunkId?: string; look?: number; delayMs?: number };

describe('a look-up job failed at its start limit', () => {
  it('is made anew as the next look, after a back-off on the worker\'s clock: the chunk is never left unknown without a look-up', async () => {
    const h = await harnesses.create({ label: 'lookup-starts', readTimeoutMs: 300 });
    const keys = createKeys(h.prefix);
    const calls = new Queue(CALLS_QUEUE, { connection: h.redis, prefix: h.prefix });
    harnesses.defer(() => calls.close());
    // The send is accepted but its answer lost (the attempt is in doubt); every look-up is throttled.
    h.emulator.setFaults([
      { kind: 'lost-answer', delayMs: 2000, times: 1 },
      { kind: 'throttle', actions: ['QuerySendDetails'], times: Infinity },
    ]);
    const sink = collector();
    const clock = createManualClock(Date.now());
    await h.startWorker({ logger: createLogger({ level: 'info' }, sink), clock, maxStartedAttempts: 3, repair: null });
    const lines = () => sink.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine);

    const phone = '13800138060';
    const { sendId } = await h.producer.send({ ...CODE, phones: [phone] });
    const chunkId = chunkIdOf(sendId, '0');
    const first = jobIds.reconcilePage({ chunkId, attempt: 1, look: 1, dateIndex: 0, page: 1 });
    // Each throttled start pauses every worker for 1 s: the fourth start is refused by BullMQ.
    await waitFor(async () => (await h.redis.zscore(`${h.prefix}:${CALLS_QUEUE}:failed`, first)) !== null, 'the look-up job to fail at its start limit', 15_000);
    const failed = await calls.getJob(first);
    expect(failed?.failedReason).toBe('job started more than allowable limit');
    expect(h.emulator.calls().filter((c) => c.action === 'QuerySendDetails' && c.code === 'Throttling.User')).toHaveLength(3);

    // The next look of the same attempt, delayed by the first back-off (the worker's clock did not move).
    const next = jobIds.reconcilePage({ chunkId, attempt: 1, look: 2, dateIndex: 0, page: 1 });
    await waitFor(async () => (await h.redis.zscore(`${h.prefix}:${CALLS_QUEUE}:delayed`, next)) !== null, 'the look-up made anew', 5_000);
    const again = await calls.getJob(next);
    expect(again?.data).toMatchObject({ sendId, chunkId, attempt: 1, look: 2, dateIndex: 0, page: 1, restarts: 1 });
    expect(again?.opts.delay).toBe(lookupRestartDelayMs(1));
    expect(await h.redis.hgetall(keys.chunk(chunkId))).toMatchObject({ state: 'unknown', attempt: '1' });
    const warned = lines().filter((l) => l.level === 40 && /start limit/.test(l.msg));
    expect(warned).toEqual([expect.objectContaining({ sendId, chunkId, look: 2, delayMs: lookupRestartDelayMs(1) })]);

    // The throttling ends; the look-up (promoted rather than waited for) finds the attempt: accepted, never resent.
    h.emulator.clearFaults();
    await again?.promote();
    await waitFor(async () => (await h.redis.hget(keys.chunk(chunkId), 'state')) === 'accepted', 'the look-up to find the attempt', 15_000);
    expect(await h.redis.hgetall(keys.chunk(chunkId))).toMatchObject({ attempt: '1', resolvedBy: 'reconcile' });
    expect(h.emulator.accepted().filter((a) => a.phoneNumbers.includes(phone))).toHaveLength(1);
    expect(lines().some((l) => /could not be looked up|expired as unknown/.test(l.msg))).toBe(false);
  }, 30_000);

  it('a start limit that would turn BullMQ\'s guard off or fail jobs at random is refused when the worker is built', async () => {
    const h = await harnesses.create({ label: 'lookup-starts-option' });
    for (const bad of [0, 2.5, Number.NaN]) {
      expect(() => createSmsWorker({ connection: h.redis, client: h.client, logger: h.logger, prefix: h.prefix, qps: 50, readTimeoutMs: 1000, maxStartedAttempts: bad })).toThrow(
        expect.objectContaining({ code: 'SMSQ_CONFIG_INVALID', message: expect.stringMatching(/maxStartedAttempts must be a whole number >= 1, got .*\. Fix: /) }),
      );
    }
  });
});
