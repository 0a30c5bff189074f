/**
 * When a look-up job failed for good for its starts (BullMQ's `maxStartedAttempts`) or, a receipt
 * look-up, for its tries spent, and where its look-up begins again. Pure logic: BullMQ's rules read
 * from its source (worker.js fails a job started past the limit without running it; job.js
 * `shouldRetryJob` retries none started as often as the limit, none that threw an
 * UnrecoverableError, none whose tries are spent), and the new look's data.
 */
import { describe, expect, it } from 'vitest';
import { UnrecoverableError } from 'bullmq';
import { failedAtStartLimit, failedWithTriesSpent, reconcileAnew } from '../../workers/lookup-start-limit.js';
import { LookupRefusedError } from '../../workers/lookups.js';
import { reconcileFollowUpIds } from '../../workers/reconcile-processor.js';
import { createLogger } from '../../src/logger.js';
import type { ChunkStore } from '../../src/queue/chunk-store.js';
import type { FollowUps } from '../../src/queue/follow-ups.js';
import { jobIds, RECONCILE_LAST_DATE_INDEX, type ReconcileJobData } from '../../src/queue/job-schemas.js';

const job = (attemptsStarted: number, attemptsMade: number, attempts = 12) => ({ attemptsStarted, attemptsMade, opts: { attempts } });

describe('failedAtStartLimit', () => {
  it('is true for a job started past the limit (failed without running), and for one failed at its last allowed start with attempts left', () => {
    expect(failedAtStartLimit(job(201, 3), 200)).toBe(true);
    // Failed at its 200th start by an ordinary error: BullMQ does not retry it (it was missed before).
    expect(failedAtStartLimit(job(200, 3), 200)).toBe(true);
  });

  it('is false for a job BullMQ retries, and for one that spent its attempts (the look-up gave up)', () => {
    expect(failedAtStartLimit(job(199, 3), 200)).toBe(false);
    expect(failedAtStartLimit(job(200, 12), 200)).toBe(false);
  });
});

describe('failedWithTriesSpent', () => {
  const ordinary = new Error('QuerySendDetails failed: isp.SYSTEM_ERROR');

  it('is true for a job whose every try failed in an ordinary way (Dysmsapi, transport or Redis errors pass)', () => {
    expect(failedWithTriesSpent(job(12, 12), ordinary)).toBe(true);
    expect(failedWithTriesSpent(job(3, 3, 3), ordinary)).toBe(true);
  });

  it('is false for a job with tries left (BullMQ retries it), and for an UnrecoverableError even on its last try (it would fail the same way again)', () => {
    expect(failedWithTriesSpent(job(11, 11), ordinary)).toBe(false);
    expect(failedWithTriesSpent(job(12, 12), new UnrecoverableError('receipt job q.x has invalid data, so it was not run'))).toBe(false);
    // BullMQ tells it by name too: an error of another copy of the class.
    expect(failedWithTriesSpent(job(12, 12), Object.assign(new Error('x'), { name: 'UnrecoverableError' }))).toBe(false);
  });

  it('is false when the last try was refused by Dysmsapi in a way that repeats (permanent, sign_template): made anew, it spent 12 calls every ~34 minutes for the whole window', () => {
    expect(failedWithTriesSpent(job(12, 12), new LookupRefusedError('isv.MOBILE_NUMBER_ILLEGAL', 'bad number', 'permanent'))).toBe(false);
    expect(failedWithTriesSpent(job(12, 12), new LookupRefusedError('isv.SMS_SIGNATURE_ILLEGAL', 'sign', 'sign_template'))).toBe(false);
    // Passing answers and transport failures still are.
    expect(failedWithTriesSpent(job(12, 12), new LookupRefusedError('isp.SYSTEM_ERROR', 'busy', 'unknown'))).toBe(true);
    expect(failedWithTriesSpent(job(12, 12), new LookupRefusedError('isv.BUSINESS_LIMIT_CONTROL', 'limit', 'flow_control'))).toBe(true);
  });
});

describe('reconcileAnew', () => {
  it('begins the next look from the first date and page, whatever page the failed job stood at', async () => {
    const scheduled: { data: ReconcileJobData; at: number }[] = [];
    const chunks = { get: async () => ({ state: 'unknown', kind: 'verification' }) } as unknown as ChunkStore;
    const followUps = { reconcile: async (data: ReconcileJobData, _kind: unknown, at: number) => void scheduled.push({ data, at }) } as unknown as FollowUps;
    const failed = { sendId: 's', chunkId: 's.0', attempt: 1, outId: 's.0.1-x', look: 3, dateIndex: 1, page: 2 } as unknown as ReconcileJobData;
    // No follow-up of the failed job exists (the queue holds none of its ids).
    const calls = { getJob: async () => undefined };
    await reconcileAnew({ chunks, followUps, clock: { now: () => 1_000 }, logger: createLogger({ level: 'silent' }), calls }, failed);
    expect(scheduled).toHaveLength(1);
    expect(scheduled[0]!.data).toMatchObject({ look: 4, restarts: 1, dateIndex: 0, page: 1, attempt: 1 });
    expect(scheduled[0]!.at).toBe(6_000);
  });
});

describe('reconcileFollowUpIds', () => {
  it('names the next page, the other date and the next look a look-up could have added (the next look is also the id a look-up made anew takes)', () => {
    const data = { sendId: 's', chunkId: 's.0', attempt: 2, look: 3, dateIndex: 0, page: 2 };
    expect(reconcileFollowUpIds(data)).toEqual([
      jobIds.reconcilePage({ ...data, page: 3 }),
      jobIds.reconcilePage({ ...data, dateIndex: 1, page: 1 }),
      jobIds.reconcilePage({ ...data, look: 4, dateIndex: 0, page: 1 }),
    ]);
  });

  it('names the next date up to the last a look-up can have (after an adoption, every day from the attempt before it), none after', () => {
    const data = { sendId: 's', chunkId: 's.0', attempt: 2, look: 1, dateIndex: 1, page: 1 };
    expect(reconcileFollowUpIds(data)).toEqual(['r.s.0.a2.l1.d1.p2', 'r.s.0.a2.l1.d2.p1', 'r.s.0.a2.l2.d0.p1']);
    const last = { ...data, dateIndex: RECONCILE_LAST_DATE_INDEX };
    expect(reconcileFollowUpIds(last)).toEqual([`r.s.0.a2.l1.d${RECONCILE_LAST_DATE_INDEX}.p2`, 'r.s.0.a2.l2.d0.p1']);
  });
});
