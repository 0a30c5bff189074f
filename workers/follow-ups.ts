import type { Queue } from 'bullmq';
import type { Clock } from '../src/clock.js';
import { JOB, jobIds, type ReconcileJobData, type SendJobData } from '../src/queue/job-schemas.js';
import { PRIORITY, type MessageKind } from '../src/queue/kinds.js';

/** When reconcile looks happen, relative to the start of the attempt being looked up. */
export interface ReconcileTiming {
  /** The first look, after the attempt started. Default: read timeout + 2 s (the call is surely over). */
  firstLookAfterMs: number;
  /** Until this long after the attempt started, "not found" is not yet proof. Default 60 s. */
  settleMs: number;
  /** Between looks while settling. Default 5 s. */
  lookIntervalMs: number;
}

/** Retries of a reconcile look that could not be made (transport trouble), with back-off. */
const RECONCILE_ATTEMPTS = 12;

/**
 * Adds follow-up jobs. Job ids are derived from chunk, attempt and look, so adding the same
 * follow-up twice (a re-run after a crash) is a no-op while the first copy exists.
 */
export interface FollowUps {
  send(sendId: string, chunkId: string, kind: MessageKind, attempt: number, at?: number): Promise<void>;
  reconcile(data: ReconcileJobData, kind: MessageKind, at: number): Promise<void>;
}

export function createFollowUps(queue: Queue, clock: Clock): FollowUps {
  return {
    async send(sendId, chunkId, kind, attempt, at) {
      const data: SendJobData = { sendId, chunkId };
      await queue.add(JOB.send, data, {
        jobId: jobIds.send(chunkId, attempt),
        priority: PRIORITY[kind],
        delay: at === undefined ? 0 : Math.max(0, at - clock.now()),
      });
    },
    async reconcile(data, kind, at) {
      await queue.add(JOB.reconcile, data, {
        jobId: `${jobIds.reconcile(data.chunkId, data.attempt, data.look)}.d${data.dateIndex}.p${data.page}`,
        priority: PRIORITY[kind],
        delay: Math.max(0, at - clock.now()),
        attempts: RECONCILE_ATTEMPTS,
        backoff: { type: 'exponential', delay: 1000 },
      });
    },
  };
}
