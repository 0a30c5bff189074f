/**
 * A reconcile job that BullMQ failed for good at its start limit (`maxStartedAttempts`): it was
 * started that often without finishing, each start spent by a throttle pause (or an account block,
 * a stall), and BullMQ fails it at the next start without running it. Neither its look-up nor its
 * attempts failed, so it is not a reason to give the attempt up (`lookup-gave-up` is for look-ups
 * that kept failing); and an attempt in doubt is never resent without a look-up. Left alone, its
 * chunk stayed `unknown` with no job at all until the repair sweep's next pass (every 5 min). So the
 * look-up is made anew as the next look, from its first date and page, after a
 * back-off that grows with each time (src/queue/lookup-restart.ts), taken on the worker's clock.
 */
import type { Job } from 'bullmq';
import type { Clock } from '../src/clock.js';
import type { Logger } from '../src/logger.js';
import { isUnsent, type ChunkStore } from '../src/queue/chunk-store.js';
import type { FollowUps } from '../src/queue/follow-ups.js';
import type { ReconcileJobData } from '../src/queue/job-schemas.js';
import { rankingKind } from '../src/queue/kinds.js';
import { lookupRestartDelayMs } from '../src/queue/lookup-restart.js';

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

export interface LookupRestartDeps {
  chunks: ChunkStore;
  followUps: FollowUps;
  clock: Clock;
  logger: Logger;
}

/**
 * Schedules the look-up of `data` anew (the next look). A chunk that is gone or final needs none;
 * any other gets one, and the new job decides as every look-up does (it ends at once, without a
 * call, when the attempt is no longer in doubt).
 */
export async function lookUpAnew(deps: LookupRestartDeps, data: ReconcileJobData): Promise<void> {
  const chunk = await deps.chunks.get(data.chunkId);
  if (!chunk || !isUnsent(chunk.state)) return;
  const restarts = (data.restarts ?? 0) + 1;
  const look = data.look + 1;
  const delayMs = lookupRestartDelayMs(restarts);
  // From the first date and page, as a look begins: the pages the failed job stood after may have
  // been read while Alibaba's records lagged, and a look-up that ends "not found" lets the chunk be resent.
  await deps.followUps.reconcile({ ...data, look, restarts, dateIndex: 0, page: 1 }, rankingKind(chunk.kind), deps.clock.now() + delayMs);
  deps.logger.warn(
    { sendId: data.sendId, chunkId: data.chunkId, attempt: data.attempt, look, restarts, delayMs },
    'look-up job failed at its start limit (BullMQ maxStartedAttempts: the account kept throttling, or was blocked): ' +
      `looked up again in ${Math.round(delayMs / 1000)} s as look ${look}; the attempt stays in doubt and is not resent before it is found or proved not accepted`,
  );
}
