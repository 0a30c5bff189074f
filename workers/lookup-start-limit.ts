/**
 * Look-up jobs (reconcile, receipt) that BullMQ failed for good at their start limit
 * (`maxStartedAttempts`): started that often without finishing, each start spent by a throttle
 * pause (or an account block, a stall), and failed at the next start without running. Neither the
 * look-up nor the attempt failed, so neither is given up; the look-up is made anew, after a back-off
 * that grows with each time (src/queue/lookup-restart.ts), taken on the worker's clock. A receipt
 * look-up whose tries ran out (src/queue/follow-ups.ts: 12, ~34 minutes of back-off) is made anew the
 * same way ({@link failedWithTriesSpent} says which failures and why).
 *
 * - A reconcile look-up: an attempt in doubt is never resent without a look-up (`lookup-gave-up` is
 *   for look-ups that kept failing). Left alone, its chunk stayed `unknown` with no job at all until
 *   the repair sweep's next pass (every 5 min). Made anew as the next look, from its first date and
 *   page: the pages the failed one stood after may have been read while Dysmsapi's records lagged.
 * - A receipt look-up: only one receipt job per chunk exists at a time, each making the next, so
 *   nothing else looks the chunk up again. Left alone, its recipients stayed `accepted` until their
 *   receipt window ended and were expired, though Dysmsapi held their receipts. Made anew where
 *   the failed one stood (same look, recipient, date and page), unless the window ends first.
 *
 * Neither is made anew when the failed job had added its follow-up: a job that ran to its end at
 * its last allowed start and stalled before BullMQ marked it complete (its worker killed, its lock
 * lost) goes back to wait (maxStalledCount is high) and is failed at the next start, though its
 * follow-up carries the chain on. Made anew then, a receipt look-up began a second chain under
 * `.rN` ids that never meet the first's, and every later look of the chunk was made twice, each a
 * call of the account's cap. A reconcile look-up made anew then ran beside the follow-up (next
 * page, other date) as a second look-up of one attempt, and held the next look's id (reconcile ids
 * carry no restart count), so the chain's own next look was a no-op and waited for it: the
 * restart's back-off, up to 5 min, where the chain would have looked in 5 s. Whether the failed
 * job added one is checked here, on these rare paths, not recorded by every look-up.
 */
import { UnrecoverableError, type Job, type Queue } from 'bullmq';
import type { Clock } from '../src/clock.js';
import type { Logger } from '../src/logger.js';
import { isUnsent, type ChunkRecord, type ChunkStore } from '../src/queue/chunk-store.js';
import type { FollowUps } from '../src/queue/follow-ups.js';
import type { ReceiptJobData, ReconcileJobData } from '../src/queue/job-schemas.js';
import { rankingKind } from '../src/queue/kinds.js';
import { lookupRestartAt, lookupRestartDelayMs } from '../src/queue/lookup-restart.js';
import type { ReceiptPolicies } from '../src/queue/receipt-policy.js';
import type { RecipientStore } from '../src/receipts/recipient-store.js';
import { acceptedAtOf, receiptFollowUpIds } from './receipt-processor.js';
import { reconcileFollowUpIds } from './reconcile-processor.js';

/**
 * Whether BullMQ failed `job` for good for its starts, not for what it did: failed at a start past
 * the limit without running (worker.js: `max < attemptsStarted`), or failed at its last allowed
 * start with attempts left, which BullMQ does not retry either (job.js `shouldRetryJob`:
 * `max <= attemptsStarted`).
 */
export function failedAtStartLimit(job: Pick<Job, 'attemptsStarted' | 'attemptsMade' | 'opts'>, maxStartedAttempts: number): boolean {
  if (job.attemptsStarted > maxStartedAttempts) return true;
  return job.attemptsStarted >= maxStartedAttempts && job.attemptsMade < (job.opts.attempts ?? 1);
}

/**
 * Whether a receipt look-up job failed for good because its tries ran out (`attempts` of them, each
 * an ordinary failure: QuerySendDetails answering an error of no class that pauses or blocks, a
 * transport error, Redis errors inside the processor). Such failures pass: Dysmsapi and Redis
 * recover, and the receipts the chunk's recipients lack are still to be had until their window
 * ends, which bounds the restarts (each after ~34 minutes of tries and the restart's back-off, at
 * most 12 calls). Not made anew:
 * - an UnrecoverableError, on any try: thrown only where running the job again fails the same way
 *   (its data does not parse, job-data.ts; an unknown job name), and BullMQ retries none. Made
 *   anew, it would loop until the window ends.
 * - a chunk whose stored payload or kind does not parse is not a failure at all: its look-up ends
 *   the job, said once (receipt-processor.ts), and its recipients expire by chunk at the window's
 *   end. Nothing is retried for it, and nothing here makes it loop.
 * - a last try refused by Dysmsapi with an answer that repeats (class permanent or sign_template,
 *   LookupRefusedError): made anew, it spent 12 calls of the account's cap every ~34 minutes until
 *   the window ends, and the chunk's later recipients were never looked up either way.
 * A job with tries left is retried by BullMQ, not here.
 */
export function failedWithTriesSpent(job: Pick<Job, 'attemptsMade' | 'opts'>, err: Pick<Error, 'name'> & { errorClass?: unknown }): boolean {
  if (err instanceof UnrecoverableError || err.name === 'UnrecoverableError') return false;
  if (err.errorClass === 'permanent' || err.errorClass === 'sign_template') return false;
  return job.attemptsMade >= (job.opts.attempts ?? 1);
}

export interface LookupRestartDeps {
  chunks: ChunkStore;
  followUps: FollowUps;
  clock: Clock;
  logger: Logger;
  /** The calls queue: whether a follow-up the failed job could have added exists. */
  calls: Pick<Queue, 'getJob'>;
}

/** What a receipt look-up made anew needs besides: what tells which follow-ups the failed one could have added. */
export interface ReceiptRestartDeps extends LookupRestartDeps {
  recipients: RecipientStore;
  policies: ReceiptPolicies;
}

const FAILED = 'look-up job failed at its start limit (BullMQ maxStartedAttempts: the account kept throttling, or was blocked)';

/**
 * Schedules the reconcile look-up of `data` anew (the next look). A chunk that is gone or final
 * needs none, nor one whose failed job had added its follow-up (any job it could have added exists,
 * in any state: the look-ups went on from it); any other gets one, and the new job decides as every
 * look-up does (it ends at once, without a call, when the attempt is no longer in doubt).
 */
export async function reconcileAnew(deps: LookupRestartDeps, data: ReconcileJobData): Promise<void> {
  const chunk = await deps.chunks.get(data.chunkId);
  if (!chunk || !isUnsent(chunk.state)) return;
  const successor = await firstExisting(deps.calls, reconcileFollowUpIds(data));
  if (successor !== undefined) {
    deps.logger.warn(
      { sendId: data.sendId, chunkId: data.chunkId, attempt: data.attempt, look: data.look, successor },
      `reconcile look-up job failed at its start limit (BullMQ maxStartedAttempts) after it had run and added its follow-up (${successor}), then stalled (its worker stopped, or its lock was lost): not made anew, the attempt's look-ups go on from there`,
    );
    return;
  }
  const restarts = (data.restarts ?? 0) + 1;
  const look = data.look + 1;
  const delayMs = lookupRestartDelayMs(restarts);
  // From the first date and page, as a look begins: the pages the failed job stood after may have
  // been read while Alibaba's records lagged, and a look-up that ends "not found" lets the chunk be resent.
  await deps.followUps.reconcile({ ...data, look, restarts, dateIndex: 0, page: 1 }, rankingKind(chunk.kind), deps.clock.now() + delayMs);
  deps.logger.warn(
    { sendId: data.sendId, chunkId: data.chunkId, attempt: data.attempt, look, restarts, delayMs },
    `${FAILED}: looked up again in ${Math.round(delayMs / 1000)} s as look ${look}; the attempt stays in doubt and is not resent before it is found or proved not accepted`,
  );
}

/** Why a receipt look-up job failed for good: at its start limit, or with its tries spent (the last one's error). */
export type ReceiptLookupFailure = { cause: 'start-limit' } | { cause: 'tries-spent'; tries: number; reason: string };

/**
 * Schedules the receipt look-up of `data` anew, where it stood, unless the chunk's receipt window
 * ends before its back-off does: then those still without a receipt expire when it ends, as when
 * the schedule's looks run out. A chunk no longer accepted needs none, nor one whose failed job had
 * added its follow-up (any job it could have added exists, in any state: the chain went on from
 * it); the new job decides as every receipt look-up does (recipients with a final receipt are
 * passed over).
 */
export async function lookUpReceiptsAnew(deps: ReceiptRestartDeps, data: ReceiptJobData, failure: ReceiptLookupFailure): Promise<void> {
  const chunk = await deps.chunks.get(data.chunkId);
  if (!chunk || chunk.state !== 'accepted') return;
  const failed = failure.cause === 'start-limit' ? FAILED : `receipt look-up job failed for good, its ${failure.tries} tries spent (the last: ${failure.reason})`;
  const tries = failure.cause === 'tries-spent' ? { tries: failure.tries } : {};
  const successor = await existingFollowUp(deps, chunk, data);
  if (successor !== undefined) {
    const after = failure.cause === 'start-limit' ? FAILED_AFTER_FOLLOW_UP : `${failed}, though one of its tries had added the next look-up of its chunk`;
    deps.logger.warn(
      { sendId: data.sendId, chunkId: data.chunkId, look: data.look, cursor: data.cursor, ...tries, successor },
      `${after} (${successor}): not made anew, the chunk's receipt look-ups go on from there`,
    );
    return;
  }
  const restarts = (data.restarts ?? 0) + 1;
  const now = deps.clock.now();
  const windowEndsAt = deps.followUps.windowEndsAt(acceptedAtOf(chunk, now));
  const at = lookupRestartAt(now, restarts, windowEndsAt);
  const fields = { sendId: data.sendId, chunkId: data.chunkId, look: data.look, cursor: data.cursor, restarts, ...tries };
  if (at === undefined) {
    deps.logger.warn(
      { ...fields, windowEndsAt },
      `${failed}: its receipt window ends in ${Math.round((windowEndsAt - now) / 1000)} s, before a look-up made anew would run; those of its recipients still without a receipt expire then`,
    );
    return;
  }
  const delayMs = at - now;
  await deps.followUps.receipt({ ...data, restarts }, at);
  deps.logger.warn({ ...fields, delayMs }, `${failed}: its receipts are looked up again in ${Math.round(delayMs / 1000)} s, from where it stood`);
}

const FAILED_AFTER_FOLLOW_UP = 'receipt look-up job failed at its start limit (BullMQ maxStartedAttempts) after it had run and added the next look-up of its chunk, then stalled (its worker stopped, or its lock was lost)';

/** The id of a job the failed receipt look-up of `data` added as its follow-up, if one exists. */
async function existingFollowUp(deps: ReceiptRestartDeps, chunk: ChunkRecord, data: ReceiptJobData): Promise<string | undefined> {
  return firstExisting(deps.calls, await receiptFollowUpIds(deps.recipients, deps.policies, chunk, data));
}

/** The first of `ids` under which the queue holds a job, in any state. */
async function firstExisting(calls: Pick<Queue, 'getJob'>, ids: readonly string[]): Promise<string | undefined> {
  const jobs = await Promise.all(ids.map((id) => calls.getJob(id)));
  return ids[jobs.findIndex((j) => j !== undefined)];
}
