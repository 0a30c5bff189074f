/**
 * The repair sweep as a worker runs it, on a clock of its own: what the withdrawal tests drive to
 * see a withdrawn send cancelled once its grace has passed (or kept within it).
 */
import type { Logger } from '../../src/logger.js';
import { createManualClock, type ManualClock } from '../../src/clock.js';
import { createCallsQueue, createHousekeepingQueue } from '../../src/queue/calls-queue.js';
import { createChunkStore } from '../../src/queue/chunk-store.js';
import type { RedisConnection } from '../../src/queue/connection.js';
import { createFollowUps } from '../../src/queue/follow-ups.js';
import { createKeys } from '../../src/queue/keys.js';
import { DEFAULT_RECEIPT_POLICIES, DEFAULT_RECEIPT_SCHEDULE } from '../../src/queue/receipt-policy.js';
import { createSendStore } from '../../src/queue/send-store.js';
import { createCompletion } from '../../src/receipts/completion.js';
import { createOrphanSweep, type OrphanSweep } from '../../src/repair/orphan-sweep.js';

export interface WithdrawalSweep {
  sweep: OrphanSweep;
  clock: ManualClock;
  /** Closes the queues it opened. */
  close(): Promise<void>;
}

/** A sweep of `prefix` whose clock starts at `startAt`, cancelling withdrawn sends `graceMs` after their withdrawal. */
export function withdrawalSweep(opts: { redis: RedisConnection; prefix: string; logger: Logger; startAt: number; graceMs: number; retentionLapseMs?: number }): WithdrawalSweep {
  const { redis, prefix } = opts;
  const keys = createKeys(prefix);
  const calls = createCallsQueue({ connection: redis, prefix });
  const housekeeping = createHousekeepingQueue({ connection: redis, prefix });
  const clock = createManualClock(opts.startAt);
  const sends = createSendStore({ redis, keys, clock });
  const followUps = createFollowUps({ calls, housekeeping, clock, receiptPolicies: DEFAULT_RECEIPT_POLICIES, receiptSchedule: DEFAULT_RECEIPT_SCHEDULE });
  const sweep = createOrphanSweep({
    redis,
    keys,
    calls,
    chunks: createChunkStore({ redis, keys, clock }),
    sends,
    followUps,
    completion: createCompletion({ sends, onEnded: (id) => followUps.callback(id) }),
    clock,
    logger: opts.logger,
    firstLookAfterMs: 50,
    enqueueGraceMs: opts.graceMs,
    ...(opts.retentionLapseMs === undefined ? {} : { retentionLapseMs: opts.retentionLapseMs }),
  });
  return { sweep, clock, close: () => Promise.all([calls.close(), housekeeping.close()]).then(() => undefined) };
}
