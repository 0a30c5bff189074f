import type { Queue } from 'bullmq';
import type { Clock } from '../clock.js';
import {
  JOB,
  jobIds,
  type CallbackJobData,
  type ReceiptJobData,
  type ReconcileJobData,
  type SendJobData,
} from './job-schemas.js';
import { PRIORITY, RECEIPT_PRIORITY, type MessageKind } from './kinds.js';
import { lookAt, type ReceiptPolicies, type ReceiptSchedule } from './receipt-policy.js';

/** When reconcile looks happen, relative to the start of the attempt being looked up. */
export interface ReconcileTiming {
  /** The first look, after the attempt started. Default: read timeout + 2 s (the call is surely over). */
  firstLookAfterMs: number;
  /** Until this long after the attempt started, "not found" is not yet proof. Default 60 s. */
  settleMs: number;
  /** Between looks while settling. Default 5 s. */
  lookIntervalMs: number;
  /**
   * A claim whose call has not started this long after the claim is not called: it is undone and
   * made again with a new attempt (src/queue/call-deadline.ts says why). Default: half of `settleMs`.
   * At least what a claim waits for by design: the durability confirmation's timeout (WAIT modes),
   * the pacer's reach (2000 ms, when pacing) and 100 ms; createSmsWorker refuses less.
   */
  callDeadlineMs: number;
}

/** Retries of a receipt look-up that could not be made (transport trouble), with back-off. */
const LOOKUP_ATTEMPTS = 12;

/** The first wait before a reconcile look-up that could not be made is tried again (ms); it doubles up to {@link LOOKUP_RETRY_CAP_MS}. */
const LOOKUP_RETRY_FIRST_MS = 1000;

/**
 * The longest wait between two tries of a reconcile look-up that could not be made (ms). BullMQ's
 * exponential back-off doubled without end: after an outage of some minutes, the next try of a
 * recipient in doubt was up to 17 minutes away (the provider back at 13:46, the send still
 * `unknown` at 20:52, its alert firing 7 min after the recovery).
 */
export const LOOKUP_RETRY_CAP_MS = 60_000;

/**
 * The type of a reconcile look-up's back-off, computed by {@link lookupBackoffStrategy}, which the
 * calls worker is given (`settings.backoffStrategy`).
 */
export const RECONCILE_BACKOFF = 'smsq-lookup-capped';

/** BullMQ's wait before try `attemptsMade + 1` of a reconcile look-up (`attemptsMade` ≥ 1 tries failed): 1 s doubling, at most 60 s. */
export function reconcileRetryDelayMs(attemptsMade: number): number {
  return Math.min(LOOKUP_RETRY_FIRST_MS * 2 ** Math.max(0, attemptsMade - 1), LOOKUP_RETRY_CAP_MS);
}

/**
 * Tries of a reconcile look-up before it is given up, when its recipients expire as unknown: as
 * many as keep trying at least as long as the 12 uncapped tries did (1 s doubling: 2047 s between
 * the first and the last), so no outage that was waited out before expires a recipient now. 41:
 * 63 s of doubling, then 34 steps of 60 s, 2103 s.
 */
export const RECONCILE_ATTEMPTS = 41;

/** BullMQ's custom back-off strategy (the calls worker's `settings.backoffStrategy`): only {@link RECONCILE_BACKOFF}. */
export function lookupBackoffStrategy(attemptsMade: number, type?: string): number {
  if (type === RECONCILE_BACKOFF) return reconcileRetryDelayMs(attemptsMade);
  // As BullMQ says of a type it does not know: a job with a back-off no worker computes is a bug.
  throw new Error(`unknown back-off type ${String(type)}`);
}

/**
 * Adds follow-up jobs. Job ids are derived from chunk, attempt and look, so adding the same
 * follow-up twice (a re-run after a crash) is a no-op while the first copy exists.
 */
export interface FollowUps {
  send(sendId: string, chunkId: string, kind: MessageKind, attempt: number, at?: number): Promise<void>;
  reconcile(data: ReconcileJobData, kind: MessageKind, at: number): Promise<void>;
  receipt(data: ReceiptJobData, at: number): Promise<void>;
  /**
   * An accepted chunk's first receipt look, per its kind's policy (nothing for `none`). The end of
   * its receipt window is not a job: the accepting transition records it (see {@link windowEndsAt}).
   */
  firstReceiptLook(sendId: string, chunkId: string, kind: MessageKind, acceptedAt: number): Promise<void>;
  /** When the receipt window of a chunk accepted at `acceptedAt` ends (pass to the accepting transition). */
  windowEndsAt(acceptedAt: number): number;
  callback(sendId: string): Promise<void>;
}

export interface FollowUpsOptions {
  calls: Queue;
  housekeeping: Queue;
  clock: Clock;
  receiptPolicies: ReceiptPolicies;
  receiptSchedule: ReceiptSchedule;
}

/**
 * Adds the callback job of a send that reached an end state (to the housekeeping queue). Its id
 * is the send's, so a send is called back once, on the first end state it reaches.
 */
export async function addCallback(housekeeping: Queue, sendId: string): Promise<void> {
  const data: CallbackJobData = { sendId };
  await housekeeping.add(JOB.callback, data, {
    jobId: jobIds.callback(sendId),
    attempts: 10,
    backoff: { type: 'exponential', delay: 2000 },
  });
}

export function createFollowUps(options: FollowUpsOptions): FollowUps {
  const delayUntil = (at: number) => Math.max(0, at - options.clock.now());
  const followUps: FollowUps = {
    async send(sendId, chunkId, kind, attempt, at) {
      const data: SendJobData = { sendId, chunkId };
      await options.calls.add(JOB.send, data, {
        jobId: jobIds.send(chunkId, attempt),
        priority: PRIORITY[kind],
        delay: at === undefined ? 0 : delayUntil(at),
      });
    },

    async reconcile(data, kind, at) {
      await options.calls.add(JOB.reconcile, data, {
        jobId: jobIds.reconcilePage(data),
        priority: PRIORITY[kind],
        delay: delayUntil(at),
        attempts: RECONCILE_ATTEMPTS,
        backoff: { type: RECONCILE_BACKOFF },
      });
    },

    async receipt(data, at) {
      // Marketing's priority: receipts wait behind codes and notifications, and share the bulk pacer lane.
      await options.calls.add(JOB.receipt, data, {
        jobId: jobIds.receipt(data),
        priority: RECEIPT_PRIORITY,
        delay: delayUntil(at),
        attempts: LOOKUP_ATTEMPTS,
        backoff: { type: 'exponential', delay: 1000 },
      });
    },

    windowEndsAt(acceptedAt) {
      return acceptedAt + options.receiptSchedule.windowMs;
    },

    async firstReceiptLook(sendId, chunkId, kind, acceptedAt) {
      if (options.receiptPolicies[kind].mode === 'none') return;
      const first = lookAt(options.receiptSchedule, acceptedAt, 1);
      if (first === undefined) return;
      await followUps.receipt({ sendId, chunkId, look: 1, cursor: 0, dateIndex: 0, page: 1, waiting: 0 }, first);
    },

    async callback(sendId) {
      await addCallback(options.housekeeping, sendId);
    },
  };
  return followUps;
}
