/**
 * Reconcile look-ups that cannot be made (Dysmsapi not answering) are tried again 1 s doubling up
 * to a minute apart, not without end: after an outage of some minutes the next try of a recipient
 * in doubt was up to 17 minutes away (BullMQ's exponential back-off), and the send stayed `unknown`
 * 7 minutes after the provider came back. Given up no sooner than before (recipients given up
 * expire as unknown). Their log: one warn line per chunk with the next try, repeats at debug.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Backoffs, type Job } from 'bullmq';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { CALLS_QUEUE } from '../../src/queue/keys.js';
import { openQueue } from '../../src/queue/calls-queue.js';
import { createLogger } from '../../src/logger.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { collector } from '../support/text-collector.js';
import { waitFor } from '../support/wait.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const CODE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' }, kind: 'notification' as const };
const lines = (text: string) => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string; nextTryAt?: number; retryInMs?: number });

describe('reconcile look-ups that cannot be made', () => {
  it('are tried again at most a minute apart, and given up no sooner than the 12 doubling tries did (2047 s)', async () => {
    h = await createHarness({ label: 'lookup-cap', readTimeoutMs: 300 });
    h.emulator.setFaults([{ kind: 'lost-answer', delayMs: 5000, actions: ['SendSms', 'SendBatchSms', 'QuerySendDetails'], times: Infinity }]);
    await h.producer.send({ ...CODE, phones: ['13900000001'] });
    const worker = await h.startWorker();
    const queue = openQueue(CALLS_QUEUE, { connection: h.redis, prefix: h.prefix });
    try {
      // A reconcile job that failed once, waiting for its next try.
      const job = await waitFor(async () => (await queue.getJobs(['delayed'])).find((j) => j.name === 'reconcile' && j.attemptsMade >= 1), 'a failed look-up', 20_000);
      // What BullMQ computes for its tries, with the worker's strategy (worker.js → job.js shouldRetryJob).
      const delay = (attemptsMade: number) => Backoffs.calculate(job.opts.backoff as never, attemptsMade, new Error('timed out'), job as Job, worker.worker.opts.settings?.backoffStrategy) as number;
      expect([1, 2, 3, 6, 7, 10, 20].map(delay)).toEqual([1000, 2000, 4000, 32_000, 60_000, 60_000, 60_000]);
      const attempts = job.opts.attempts ?? 1;
      let total = 0;
      for (let made = 1; made < attempts; made++) total += delay(made);
      expect(total).toBeGreaterThanOrEqual(2_047_000);
      expect(total).toBeLessThan(2_300_000);
    } finally {
      h.emulator.clearFaults();
      await queue.close();
    }
  }, 40_000);

  it('say the next try in one warn line per chunk, their repeats at debug, and when they answer again', async () => {
    // A read timeout a loaded machine's emulator answers well within (300 ms failed a look-up of its own now and then).
    h = await createHarness({ label: 'lookup-log', readTimeoutMs: 1000 });
    h.emulator.setFaults([
      { kind: 'lost-answer', delayMs: 3000 },
      { kind: 'lost-answer', delayMs: 3000, actions: ['QuerySendDetails'], times: 3 },
    ]);
    const res = await h.producer.send({ ...CODE, phones: ['13900000001'] });
    const log = collector();
    await h.startWorker({ logger: createLogger({ level: 'debug' }, log) });
    await waitFor(async () => ((await h!.producer.getStatus(res.sendId)).counts.accepted === 1 ? true : undefined), 'the chunk found accepted', 30_000);
    const failed = lines(log.text).filter((l) => l.msg.startsWith('look-up failed'));
    const warns = failed.filter((l) => l.level === 40);
    expect(warns).toHaveLength(1);
    expect(warns[0]!.msg).toMatch(/^look-up failed \(\S+\): tried again at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+08:00 \(in 1 s\), the chunk in doubt until a look-up answers, nothing resent meanwhile$/);
    expect(warns[0]!.retryInMs).toBe(1000);
    expect(failed.filter((l) => l.level === 20).map((l) => l.retryInMs)).toEqual([2000, 4000]);
    expect(lines(log.text).some((l) => l.level === 30 && /^look-ups answer again: 3 failed tries/.test(l.msg))).toBe(true);
  }, 40_000);
});
