/**
 * A receipt look-up delayed ahead in the calls queue, as an earlier accepted send leaves behind it:
 * with one delayed, a worker waiting for a job blocks up to BullMQ's 10 s instead of `drainDelay`
 * (throttle-resume.test.ts, throttle-stale-fetch.test.ts).
 */
import { systemClock } from '../../src/clock.js';
import { createCallsQueue, createHousekeepingQueue } from '../../src/queue/calls-queue.js';
import { createFollowUps } from '../../src/queue/follow-ups.js';
import { DEFAULT_RECEIPT_POLICIES, DEFAULT_RECEIPT_SCHEDULE } from '../../src/queue/receipt-policy.js';
import type { Harness } from './pipeline.js';

/** Adds a receipt look-up of a send of no consequence, due `aheadMs` from now, to `h`'s queue. */
export async function delayedLookUp(h: Harness, aheadMs: number): Promise<void> {
  const calls = createCallsQueue({ connection: h.redis, prefix: h.prefix });
  const housekeeping = createHousekeepingQueue({ connection: h.redis, prefix: h.prefix });
  const followUps = createFollowUps({ calls, housekeeping, clock: systemClock, receiptPolicies: DEFAULT_RECEIPT_POLICIES, receiptSchedule: DEFAULT_RECEIPT_SCHEDULE });
  await followUps.receipt({ sendId: 'smxearlier', chunkId: 'smxearlier.0', look: 1, cursor: 0, dateIndex: 0, page: 1, waiting: 0 }, Date.now() + aheadMs);
  await calls.close();
  await housekeeping.close();
}
